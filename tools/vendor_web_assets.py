#!/usr/bin/env python3
"""Copies the front-end assets the bridge serves (``tools/web-assets.json``) from ``node_modules`` into the
Python packages, and writes ``VENDORED.json`` next to each set (package, version, license, file, sha256).
An asset the manifest gives ``replace`` pairs for is edited as copied (ReDoc's CDN logo: see the manifest).
Run by ``make setup`` after ``npm ci``; the copies are not committed (the lock file pins them)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    manifest = json.loads((ROOT / "tools" / "web-assets.json").read_text())
    records: dict[Path, list[dict[str, str]]] = defaultdict(list)
    missing = []
    for asset in manifest["assets"]:
        package_dir = ROOT / "node_modules" / asset["package"]
        source, target = package_dir / asset["file"], ROOT / asset["to"]
        if not source.is_file():
            missing.append(f"{asset['package']}/{asset['file']}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        for old, new in asset.get("replace", []):  # an asset that would fetch from a CDN by itself: pointed at nothing instead
            text = target.read_text()
            if old not in text:
                print(f"{asset['package']}/{asset['file']}: {old!r} not found; the manifest's replacement is stale", file=sys.stderr)
                return 1
            target.write_text(text.replace(old, new))
        meta = json.loads((package_dir / "package.json").read_text())
        root = next(parent for parent in target.parents if parent.name == "vendor")
        records[root].append({"package": asset["package"], "version": meta.get("version", "?"), "license": str(meta.get("license", "?")),
                              "file": str(target.relative_to(root)), "sha256": hashlib.sha256(target.read_bytes()).hexdigest()})
    if missing:
        print("missing in node_modules (run npm ci): " + ", ".join(missing), file=sys.stderr)
        return 1
    for root, entries in records.items():
        (root / "VENDORED.json").write_text(json.dumps(entries, indent=1) + "\n")
        print(f"{len(entries)} assets in {root.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Copies the front-end assets the bridge serves (``tools/web-assets.json``) from ``node_modules`` into the
Python packages, and writes ``VENDORED.json`` next to each set (package, version, license, file, sha256).
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

"""Proves the `make lint` gate bites: a textbook drain planted in any contract must fail it.

Copies contracts/ to a temporary directory, plants issue #11's

    function sweep(address t, address f, address to, uint a) external { IERC20(t).transferFrom(f, to, a); }

into every concrete contract under src/ (PvPEscrow, HashedTimelockEscrow and the rest), runs the same gate
(tools/slither_gate.py) on the copy, and asserts:

- the unmodified tree passes the gate (verdict clean);
- the planted tree fails it for findings, not because the analysis broke (exit 1, not 2);
- each planted `<Contract>.sweep` is reported, as `arbitrary-send-erc20`, on its own.

Run it with the Slither virtualenv's interpreter (`make lint` does). `--pristine-report` reuses the JSON
report of a gate run on the real, unmodified tree (what `make lint` has just produced) instead of running
the gate on a second, unmodified copy.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GATE = REPO / "tools" / "slither_gate.py"
FORGE = REPO / "node_modules" / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"
SWEEP = "function sweep(address t, address f, address to, uint a) external { IERC20(t).transferFrom(f, to, a); }"
IERC20_IMPORT = 'import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";'
DETECTOR = "arbitrary-send-erc20"
_CONTRACT = re.compile(r"^contract\s+(\w+)[^{]*\{", re.MULTILINE)  # concrete contracts only
_PRAGMA = re.compile(r"^pragma solidity[^;]*;\n", re.MULTILINE)
_IMPORTS_IERC20 = re.compile(r"^import\s*\{[^}]*\bIERC20\b[^}]*\}", re.MULTILINE)


def _copy_project(original: Path, destination: Path) -> Path:
    """destination/{contracts (src, foundry.toml, the node_modules link), node_modules, tools}: the repo's
    layout, so foundry.toml's relative paths (../tools/solc, node_modules -> ../node_modules) still hold."""
    project = destination / "contracts"
    project.mkdir()
    shutil.copytree(original / "src", project / "src")
    shutil.copy2(original / "foundry.toml", project / "foundry.toml")
    (project / "node_modules").symlink_to("../node_modules")
    (destination / "node_modules").symlink_to(REPO / "node_modules")
    (destination / "tools").symlink_to(REPO / "tools")
    return project


def plant(source: str) -> tuple[str, list[str]]:
    """`source` with the sweep at the top of each concrete contract's body, IERC20 imported if need be."""
    names = [match.group(1) for match in _CONTRACT.finditer(source)]
    if not names:
        return source, []
    planted = _CONTRACT.sub(lambda match: f"{match.group(0)}\n    {SWEEP}\n", source)
    if not _IMPORTS_IERC20.search(planted):
        planted = _PRAGMA.sub(lambda match: f"{match.group(0)}\n{IERC20_IMPORT}\n", planted, count=1)
    return planted, names


def _gate(project: Path, report: Path) -> tuple[int, dict]:
    completed = subprocess.run(
        [sys.executable, str(GATE), str(project), "--forge", str(FORGE), "--json", str(report)],
        capture_output=True,
        text=True,
    )
    if not report.is_file():
        sys.stderr.write(completed.stdout + completed.stderr)
        return completed.returncode, {"verdict": "no report", "errors": [], "findings": []}
    return completed.returncode, json.loads(report.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=REPO / "contracts", help="the Foundry project to copy")
    parser.add_argument("--pristine-report", type=Path, help="gate report of the unmodified tree, if already run")
    args = parser.parse_args(argv)
    failures: list[str] = []

    with tempfile.TemporaryDirectory(prefix="corridor-lint-selftest-") as temporary:
        root = Path(temporary)
        if args.pristine_report:
            if args.pristine_report.is_file():
                pristine = json.loads(args.pristine_report.read_text())
            else:
                pristine = {"verdict": "no report", "errors": [f"{args.pristine_report} missing"], "findings": []}
        else:
            (root / "pristine").mkdir()
            _, pristine = _gate(_copy_project(args.project, root / "pristine"), root / "pristine.json")
        if pristine["verdict"] != "clean":
            failures.append(
                f"the unmodified tree does not pass the gate: {pristine['verdict']}"
                f" ({len(pristine['findings'])} finding(s), {len(pristine['errors'])} error(s))"
            )
        else:
            print("selftest: unmodified tree passes the gate")

        (root / "planted").mkdir()
        project = _copy_project(args.project, root / "planted")
        planted_in: list[str] = []
        for file in sorted((project / "src").rglob("*.sol")):
            source, names = plant(file.read_text())
            file.write_text(source)
            planted_in += names
        if not {"PvPEscrow", "HashedTimelockEscrow"} <= set(planted_in):
            failures.append(f"the settlement contracts were not planted (planted: {planted_in})")

        status, report = _gate(project, root / "planted.json")
        if status != 1 or report["verdict"] != "findings":
            failures.append(f"planted tree: gate exit {status}, verdict {report['verdict']}, errors {report['errors']}")
        caught = {
            where.split(" ", 1)[0]
            for finding in report["findings"]
            if finding["check"] == DETECTOR
            for where in finding["where"]
        }
        for name in planted_in:
            if f"{name}.sweep" in caught:
                print(f"selftest: {name}.sweep fails the gate ({DETECTOR})")
            else:
                failures.append(f"{name}.sweep was planted but the gate did not report it")

    for failure in failures:
        print(f"selftest FAILED: {failure}", file=sys.stderr)
    if not failures:
        print(f"selftest: the gate passes the unmodified tree and fails each of {len(planted_in)} planted sweeps")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

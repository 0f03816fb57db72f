"""The `make lint` gate: Slither over contracts/src, passing only a complete, clean analysis.

Run it with the interpreter of Slither's own virtualenv (Slither pins web3 < 8, the project needs 8):

    .venv-slither/bin/python tools/slither_gate.py contracts --forge <native forge> [--json report.json]

It builds ``src`` with ``FOUNDRY_PROFILE=slither`` (its own out and cache directories, so the forge cache
``make test`` uses stays valid), runs every Slither detector on that build, and decides:

    exit 0  clean     the analysis is complete and no High or Medium result touches src/
    exit 1  findings  High or Medium results with an element in src/
    exit 2  broken    the build failed; Slither raised, or logged an error ("Failed to resolve name",
                      "Impossible to generate IR", ...); a file of src/ was not analysed; or one file was
                      analysed under two source unit names. A broken analysis outranks findings: a
                      partial analysis proves nothing, least of all that there is nothing to find.

Only a reviewable inline comment silences a finding: ``// slither-disable-next-line <detector>`` (or a
``slither-disable-start``/``-end`` pair) with a reason next to it; a disable comment in src/ that silences
nothing is itself a finding. Slither's triage database (``slither.db.json``) and SARIF triage are ignored.
Results whose elements all lie outside src/ (OpenZeppelin, forge-std) are not gated; Low, Informational and
Optimization results are counted, not gated.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

PROFILE = "slither"
GATED_IMPACTS = ("High", "Medium")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_BROKEN = 0, 1, 2

logger = logging.getLogger("slither_gate")


class _ErrorRecorder(logging.Handler):
    """Keeps every record at ERROR or above, from any logger (Slither, crytic-compile, ...)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage().strip()}")


def _merge_inherited_using_for() -> None:
    """Works around a Slither 0.11.6 parser bug that leaves functions without IR.

    ``ContractSolc.analyze_using_for`` copies each parent's ``using ... for`` table into the child with
    ``dict.update``, so when two parents both say ``using L for *`` the last parent's list replaces the
    other's. PvPEscrow inherits EIP712 (``using ShortStrings for *``) and ReentrancyGuardTransient
    (``using TransientSlot for *``): ``asBoolean()``/``tstore`` no longer resolve, and Slither logs
    "Impossible to generate IR" for the reentrancy guard and analyses it as opaque. Here the parents'
    tables are merged (union per key, new lists, so a child never appends into its parent's list).
    """
    from slither.solc_parsing.declarations.contract import ContractSolc

    original = ContractSolc.analyze_using_for

    class _MergingTable(dict):  # type: ignore[type-arg]
        def update(self, other: Any = (), **extra: Any) -> None:
            for key, libraries in dict(other, **extra).items():
                merged = self.setdefault(key, [])
                merged.extend(library for library in libraries if library not in merged)

    def analyze_using_for(self: ContractSolc) -> None:
        contract = self._contract
        if not hasattr(contract, "_using_for"):
            raise RuntimeError("Slither internals changed: re-check _merge_inherited_using_for (tools/slither_gate.py)")
        contract._using_for = _MergingTable(contract._using_for)
        original(self)

    ContractSolc.analyze_using_for = analyze_using_for


def _environment(forge: Path) -> dict[str, str]:
    """forge's folder first on PATH (crytic-compile runs `forge config`); this venv's bin, which holds
    solc-select's `solc`, nowhere on it."""
    venv_bin = (Path(sys.prefix) / "bin").resolve()
    rest = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p).resolve() != venv_bin]
    return {**os.environ, "PATH": os.pathsep.join([str(forge.parent), *rest]), "FOUNDRY_PROFILE": PROFILE}


def _build(project: Path, forge: Path, env: dict[str, str]) -> tuple[str | None, str]:
    """Fresh `forge build --build-info src` under the slither profile; returns (error, out directory)."""
    config = subprocess.run([str(forge), "config", "--json"], cwd=project, env=env, capture_output=True, text=True)
    if config.returncode != 0:
        return f"forge config failed:\n{config.stderr.strip()}", ""
    settings = json.loads(config.stdout)
    out = settings["out"]
    for directory in (out, settings["cache_path"]):
        shutil.rmtree(project / directory, ignore_errors=True)
    build = subprocess.run(
        [str(forge), "build", "--build-info", settings["src"]], cwd=project, env=env, capture_output=True, text=True
    )
    if build.returncode != 0:
        return f"forge build failed:\n{(build.stdout + build.stderr).strip()}", out
    return None, out


def _where(element: dict[str, Any]) -> str:
    name = element.get("name", "?")
    parent = element.get("type_specific_fields", {}).get("parent", {})
    if element.get("type") == "function" and parent.get("name"):
        name = f"{parent['name']}.{name}"
    mapping = element.get("source_mapping", {})
    lines = mapping.get("lines") or [0]
    return f"{name} ({mapping.get('filename_relative', '?')}#{lines[0]})"


def _touches(result: dict[str, Any], directory: Path) -> bool:
    for element in result.get("elements", []):
        filename = element.get("source_mapping", {}).get("filename_absolute")
        if filename and Path(filename).resolve().is_relative_to(directory):
            return True
    return False


def _duplicate_source_units(project: Path, out: str) -> list[str]:
    """Files compiled under more than one source unit name, read from the build info itself:
    crytic-compile folds such names into one Filename, but their ASTs stay apart."""
    errors = []
    for build_info in sorted((project / out / "build-info").glob("*.json")):
        data = json.loads(build_info.read_text())
        base = Path(data.get("input", {}).get("basePath") or project)
        names_by_file: dict[Path, list[str]] = defaultdict(list)
        for name in data["output"].get("sources", {}):
            names_by_file[(base / name).resolve()].append(name)
        errors += [
            f"{file} compiled as {len(names)} source units ({', '.join(sorted(names))})"
            for file, names in sorted(names_by_file.items())
            if len(names) > 1
        ]
    return errors


def _analyse(project: Path, out: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Runs Slither; returns (errors besides logged ones, every result)."""
    from slither import Slither
    from slither.__main__ import get_detectors_and_printers

    errors: list[str] = []
    slither = Slither(str(project), ignore_compile=True, foundry_out_directory=out)
    # Only inline comments may silence a finding: forget any triage database or SARIF triage.
    slither._previous_results = []
    slither._previous_results_ids = set()

    src = (project / "src").resolve()
    analysed = {
        Path(filename.absolute).resolve()
        for unit in slither.crytic_compile.compilation_units.values()
        for filename in unit.filenames
    }
    for file in sorted(src.rglob("*.sol")):
        if file.resolve() not in analysed:
            errors.append(f"{file.relative_to(project)} was not analysed")
    for contract in slither.contracts:
        if contract.is_incorrectly_constructed:
            errors.append(f"contract {contract.name} was parsed incompletely")

    detectors, _ = get_detectors_and_printers()
    for detector in detectors:
        slither.register_detector(detector)
    slither.warn_unused_ignores = True
    results = [result for per_detector in slither.run_detectors() for result in per_detector]
    # A disable comment that silences nothing has outlived its reason, and would silence whatever lands on
    # that line next: it fails the gate like a finding.
    stale = {
        (Path(unused["file"]).resolve(), unused["line"], unused["comment_type"], ",".join(unused["unused_detectors"]))
        for unused in slither.get_unused_ignore_comments()  # a file may be listed under two spellings
    }
    for file, line, kind, detectors in sorted(stale):
        if file.is_relative_to(src):
            where = f"{file.relative_to(project.resolve())}#{line}"
            results.append(
                {
                    "check": "unused-slither-disable",
                    "impact": "Medium",
                    "confidence": "High",
                    "description": f"{where}: slither-disable-{kind} {detectors} silences nothing; remove it",
                    "elements": [{"source_mapping": {"filename_absolute": str(file), "filename_relative": where}}],
                }
            )
    return errors, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path, help="the Foundry project (contracts/)")
    parser.add_argument("--forge", type=Path, required=True, help="the native forge binary")
    parser.add_argument("--json", type=Path, help="write the verdict, errors and findings here")
    args = parser.parse_args(argv)
    project: Path = args.project.resolve()

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s:%(name)s:%(message)s")
    recorder = _ErrorRecorder()
    logging.getLogger().addHandler(recorder)
    env = _environment(args.forge.resolve())
    os.environ.clear()
    os.environ.update(env)

    started = time.monotonic()
    build_error, out = _build(project, args.forge.resolve(), env)
    built = time.monotonic()
    errors: list[str] = [build_error] if build_error else []
    results: list[dict[str, Any]] = []
    if not build_error:
        try:
            _merge_inherited_using_for()
            errors += _duplicate_source_units(project, out)
            analysis_errors, results = _analyse(project, out)
            errors += analysis_errors
        except Exception as exc:  # noqa: BLE001 - any crash means the analysis is broken, and says why
            logger.exception("Slither crashed")
            errors.append(f"Slither crashed: {exc!r}")
    analysed = time.monotonic()
    errors += [f"logged: {message}" for message in recorder.messages if not message.startswith("slither_gate:")]

    src = (project / "src").resolve()
    ours = [r for r in results if _touches(r, src)]
    gated = [r for r in ours if r["impact"] in GATED_IMPACTS]
    advisory = Counter(r["impact"] for r in ours if r["impact"] not in GATED_IMPACTS)
    verdict = "broken" if errors else "findings" if gated else "clean"

    for result in gated:
        print(f"\n[{result['impact']}/{result['confidence']}] {result['check']}\n{result['description'].rstrip()}")
    for error in errors:
        print(f"\nERROR {error}", file=sys.stderr)
    print(
        f"\nslither gate: {verdict.upper()} - {len(gated)} High/Medium finding(s) in src/"
        f" ({', '.join(f'{n} {impact}' for impact, n in sorted(advisory.items())) or 'nothing else'} not gated),"
        f" {len(errors)} analysis error(s); build {built - started:.1f} s, analysis {analysed - built:.1f} s"
    )
    if args.json:
        report = {
            "verdict": verdict,
            "errors": errors,
            "findings": [
                {
                    "check": r["check"],
                    "impact": r["impact"],
                    "confidence": r["confidence"],
                    "where": [_where(e) for e in r.get("elements", [])],
                    "description": r["description"],
                }
                for r in gated
            ],
            "advisory": dict(advisory),
            "seconds": {"build": round(built - started, 1), "analysis": round(analysed - built, 1)},
        }
        args.json.write_text(json.dumps(report, indent=2))
    return {"clean": EXIT_CLEAN, "findings": EXIT_FINDINGS, "broken": EXIT_BROKEN}[verdict]


if __name__ == "__main__":
    sys.exit(main())

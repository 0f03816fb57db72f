"""The pieces of `make lint` that need no Slither: where the self-test plants its drain, and how the gate
spots one file compiled under two source unit names. `make lint` itself runs the gate and the self-test."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from corridor.toolchain import REPO_ROOT


def _load(relative: str) -> ModuleType:
    path = REPO_ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


selftest = _load("scripts/lint_selftest.py")
gate = _load("tools/slither_gate.py")

HEADER = "// SPDX-License-Identifier: Apache-2.0\npragma solidity 0.8.30;\n\n"


def test_plant_puts_the_sweep_into_every_concrete_contract_and_imports_ierc20_once() -> None:
    source = HEADER + (
        'import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";\n\n'
        "interface I {}\nlibrary L {}\nabstract contract Base {}\n"
        "contract Token is ERC20, I {\n    uint256 x;\n}\n\ncontract Other {}\n"
    )
    planted, names = selftest.plant(source)
    assert names == ["Token", "Other"]
    assert planted.count(selftest.SWEEP) == 2
    assert planted.count(selftest.IERC20_IMPORT) == 1
    assert f"contract Token is ERC20, I {{\n    {selftest.SWEEP}\n" in planted
    assert "abstract contract Base {}" in planted and "interface I {}" in planted


def test_plant_keeps_an_existing_ierc20_import_and_leaves_interfaces_alone() -> None:
    existing = HEADER + 'import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";\ncontract Escrow {}\n'
    planted, names = selftest.plant(existing)
    assert names == ["Escrow"] and planted.count("IERC20.sol") == 1
    interface_only = HEADER + "interface IEscrow {}\n"
    assert selftest.plant(interface_only) == (interface_only, [])


def _build_info(tmp_path: Path, names: list[str]) -> None:
    build_info = tmp_path / "out" / "build-info"
    build_info.mkdir(parents=True)
    data = {"input": {"basePath": str(tmp_path / "contracts")}, "output": {"sources": {n: {"id": i} for i, n in enumerate(names)}}}
    (build_info / "b.json").write_text(json.dumps(data))


def test_gate_reports_one_file_compiled_under_two_names(tmp_path: Path) -> None:
    library = tmp_path / "node_modules" / "pkg"
    library.mkdir(parents=True)
    (library / "A.sol").write_text("")
    (tmp_path / "contracts").mkdir()
    _build_info(tmp_path, ["../node_modules/pkg/A.sol", str(library / "A.sol")])
    [error] = gate._duplicate_source_units(tmp_path, "out")
    assert "compiled as 2 source units" in error and "../node_modules/pkg/A.sol" in error


def test_gate_accepts_a_library_reached_through_the_symlink_under_one_name(tmp_path: Path) -> None:
    (tmp_path / "node_modules" / "pkg").mkdir(parents=True)
    (tmp_path / "node_modules" / "pkg" / "A.sol").write_text("")
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "node_modules").symlink_to("../node_modules")
    _build_info(tmp_path, ["node_modules/pkg/A.sol", "src/C.sol"])
    assert gate._duplicate_source_units(tmp_path, "out") == []


def test_gate_counts_a_result_as_ours_when_any_element_is_in_src(tmp_path: Path) -> None:
    src = tmp_path / "src"
    inside = {"source_mapping": {"filename_absolute": str(src / "Escrow.sol")}}
    outside = {"source_mapping": {"filename_absolute": str(tmp_path / "node_modules" / "SafeERC20.sol")}}
    assert gate._touches({"elements": [outside, inside]}, src)
    assert not gate._touches({"elements": [outside]}, src)

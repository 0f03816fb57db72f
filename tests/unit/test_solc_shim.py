"""The solc shim gives solcjs the native command-line surface forge and py-solc-x call."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import solcx

from corridor.toolchain import solc_shim


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(solc_shim()), *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_version_prints_native_format_with_pinned_release() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1].startswith("Version: 0.8.30+commit.")


def test_py_solc_x_reads_the_version() -> None:
    assert str(solcx.wrapper.get_solc_version(solc_shim())).startswith("0.8.30")


def test_standard_json_compiles_from_stdin() -> None:
    source = "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ncontract C { function f() external pure returns (uint) { return 7; } }"
    request = {
        "language": "Solidity",
        "sources": {"C.sol": {"content": source}},
        "settings": {"evmVersion": "cancun", "outputSelection": {"*": {"*": ["evm.bytecode.object"]}}},
    }
    result = _run("--standard-json", stdin=json.dumps(request))
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["contracts"]["C.sol"]["C"]["evm"]["bytecode"]["object"]


def test_standard_json_resolves_imports_from_include_path(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "L.sol").write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nlibrary L { function one() internal pure returns (uint) { return 1; } }")
    request = {
        "language": "Solidity",
        "sources": {"C.sol": {"content": '// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nimport {L} from "L.sol";\ncontract C { function f() external pure returns (uint) { return L.one(); } }'}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    result = _run("--standard-json", "--base-path", str(tmp_path), "--include-path", str(library), "--allow-paths", "/", stdin=json.dumps(request))
    output = json.loads(result.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"], output
    assert "C" in output["contracts"]["C.sol"]


def test_unresolvable_import_is_reported_as_a_compiler_error(tmp_path: Path) -> None:
    request = {
        "language": "Solidity",
        "sources": {"C.sol": {"content": 'pragma solidity 0.8.30;\nimport "missing/M.sol";\ncontract C {}'}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    output = json.loads(_run("--standard-json", "--base-path", str(tmp_path), stdin=json.dumps(request)).stdout)
    messages = [e["message"] for e in output["errors"] if e["severity"] == "error"]
    assert any("missing/M.sol" in m for m in messages)


def test_unsupported_option_fails_with_a_clear_message() -> None:
    result = _run("--combined-json", "abi")
    assert result.returncode == 2
    assert "unsupported option '--combined-json'" in result.stderr


def _library(root: Path) -> None:
    """``root/node_modules/pkg``: A.sol imports B.sol relatively, as OpenZeppelin's files do."""
    package = root / "node_modules" / "pkg"
    package.mkdir(parents=True)
    (package / "B.sol").write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ninterface B {}")
    (package / "A.sol").write_text('// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nimport {B} from "./B.sol";\ninterface A is B {}')


def _compile(project: Path, sources: dict[str, str]) -> dict:
    request = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    result = _run("--standard-json", "--base-path", str(project), stdin=json.dumps(request))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _error_messages(output: dict) -> list[str]:
    return [e["message"] for e in output.get("errors", []) if e["severity"] == "error"]


def test_one_file_given_under_two_names_is_a_compiler_error(tmp_path: Path) -> None:
    """forge with a remapping outside its root sends `../node_modules/X.sol` and `/abs/node_modules/X.sol`."""
    project = tmp_path / "contracts"
    project.mkdir()
    _library(tmp_path)
    b = tmp_path / "node_modules" / "pkg" / "B.sol"
    output = _compile(project, {"../node_modules/pkg/B.sol": b.read_text(), str(b): b.read_text()})
    [message] = _error_messages(output)
    assert '"../node_modules/pkg/B.sol"' in message and f'"{b}"' in message
    assert "one file must have exactly one source unit name" in message
    assert "contracts" not in output


def test_import_reaching_a_file_already_given_under_another_name_is_a_compiler_error(tmp_path: Path) -> None:
    """The second copy forge used to produce: A given as `../node_modules/pkg/A.sol` imports `./B.sol`, which
    solc names `../node_modules/pkg/B.sol`, while B itself was given under its absolute path."""
    project = tmp_path / "contracts"
    project.mkdir()
    _library(tmp_path)
    package = tmp_path / "node_modules" / "pkg"
    output = _compile(
        project,
        {"../node_modules/pkg/A.sol": (package / "A.sol").read_text(), str(package / "B.sol"): (package / "B.sol").read_text()},
    )
    messages = _error_messages(output)
    assert any("already a source unit named" in m and str(package / "B.sol") in m for m in messages), messages


def test_library_reached_through_a_symlink_in_the_root_is_one_source_unit_per_file(tmp_path: Path) -> None:
    """The layout contracts/ uses: `node_modules` inside the project root is a symlink to ../node_modules."""
    project = tmp_path / "contracts"
    project.mkdir()
    _library(tmp_path)
    (project / "node_modules").symlink_to("../node_modules")
    source = '// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nimport {A} from "node_modules/pkg/A.sol";\ncontract C {}'
    output = _compile(project, {"src/C.sol": source})
    assert not _error_messages(output), output
    assert sorted(output["sources"]) == ["node_modules/pkg/A.sol", "node_modules/pkg/B.sol", "src/C.sol"]

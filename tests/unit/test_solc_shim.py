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

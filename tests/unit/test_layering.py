"""The house seen from the top: every import points down.

    apps (cli, up, demo, report)                 the applications
      └─► bridge ─► supervision ─► oracle ─► corridor (the core: config, keys, chain client, deployment, toolchain)

A package may import only the packages below it. Checked twice: statically, every ``import`` in every
module (function-level ones too, where the old demo hid its upward arrows), and at run time, importing
each core module in a fresh interpreter and looking at what came along.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from corridor.toolchain import REPO_ROOT

LAYERS = ["corridor", "oracle", "supervision", "bridge", "apps"]  # bottom to top
# Known edges that break the rule, each with the reason it is still there (none today).
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()
PURE_SUPERVISION_FORBIDDEN = ("web3", "sqlalchemy", "fastapi", "starlette", "httpx", "requests", "rich", "click")


def _modules(package: str) -> dict[str, Path]:
    root = REPO_ROOT / package
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, anywhere in the file (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def _layer(name: str) -> str | None:
    top = name.split(".")[0]
    return top if top in LAYERS else None


def test_every_import_points_down() -> None:
    upward = []
    for index, layer in enumerate(LAYERS):
        above = set(LAYERS[index + 1 :])
        for module, path in _modules(layer).items():
            for imported in _imports(path, module):
                target = _layer(imported)
                if target in above and not any(module == m and imported.startswith(t) for m, t in KNOWN_EXCEPTIONS):
                    upward.append(f"{module} imports {imported} ({layer} is below {target})")
    assert not upward, "imports pointing up:\n" + "\n".join(sorted(set(upward)))


def test_the_supervision_model_is_framework_free() -> None:
    """supervision/ computes over journal rows and decoded events: no web framework, database or chain
    client in it, except the one module that reads the chains (``supervision.chain``)."""
    offending = []
    for module, path in _modules("supervision").items():
        if module == "supervision.chain":
            continue
        for imported in _imports(path, module):
            if imported.split(".")[0] in PURE_SUPERVISION_FORBIDDEN:
                offending.append(f"{module} imports {imported}")
    assert not offending, "\n".join(offending)


@pytest.mark.parametrize("module", sorted(_modules("corridor")))
def test_a_core_module_brings_in_nothing_above_it(module: str) -> None:
    """Imported alone in a fresh interpreter, a core module loads none of bridge, oracle, supervision, apps."""
    loaded = _loaded_after_import(module)
    assert not loaded, f"importing {module} loaded {loaded}"


def _loaded_after_import(module: str) -> set[str]:
    code = ("import importlib, json, sys; importlib.import_module(sys.argv[1]); "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('bridge', 'oracle', 'supervision', 'apps'))))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code, module], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_the_corridor_command_is_the_applications_cli() -> None:
    """The ``corridor`` console command (pyproject) points at the application layer and still starts."""
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert 'corridor = "apps.cli:main"' in pyproject
    result = subprocess.run([sys.executable, "-m", "apps.cli", "--help"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "demo" in result.stdout and "report" in result.stdout

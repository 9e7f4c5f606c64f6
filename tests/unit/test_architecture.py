"""The shape of the code (docs/ARCHITECTURE.md), checked on every run: one way in and out of a
transaction, a package's insides private to it, and modules small enough to read."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "richwell"
SERVICES = PACKAGE / "services"
UNIT_OF_WORK = SERVICES / "platform" / "unit_of_work.py"
MAX_LINES = 500

def _modules(root: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


COMMIT_RE = re.compile(r"\.(commit|rollback)\(\)|\bcommit\s*=")


def test_only_the_unit_of_work_commits_or_rolls_back():
    """No service, view, task or command commits by itself, and no function takes `commit=`."""
    offenders = sorted(_name(p) for p in _modules()
                       if p != UNIT_OF_WORK and COMMIT_RE.search(p.read_text()))
    assert offenders == []


def test_no_module_is_over_500_lines():
    long = sorted(_name(p) for p in _modules()
                  if len(p.read_text().splitlines()) > MAX_LINES)
    assert long == []


def test_services_has_no_flat_module_left():
    flat = sorted(p.name for p in SERVICES.glob("*.py") if p.name != "__init__.py")
    assert flat == []


def _imports(path: Path) -> list[str]:
    """Absolute names of every richwell module this file imports (relative ones resolved)."""
    tree = ast.parse(path.read_text())
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.append(module)
            names += [f"{module}.{a.name}" for a in node.names]
    return [n for n in names if n.startswith("richwell.services.")]


def _part_of(module: str) -> str | None:
    bits = module.split(".")
    return bits[2] if len(bits) > 2 else None


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_a_part_of_the_school_is_entered_only_through_its_package(path):
    """Outside a service package only its exported names are used (`from richwell.services.finance
    import record_payment`), never its modules; platform's services are used as namespaces."""
    own = _part_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
    inside = [m for m in _imports(path) if len(m.split(".")) > 3]  # richwell.services.<part>.<name>
    reached = []
    for module in inside:
        part = _part_of(module)
        if part == own or part == "platform":
            continue
        candidate = SERVICES / part / f"{module.split('.')[3]}.py"
        if candidate.exists():  # a module of another part, not an exported name
            reached.append(module)
    assert reached == []

"""The migrations stand on their own: each revision is frozen as written (no live model or
service code imported) and the file names count along the revision chain."""
from __future__ import annotations

import ast
import re
from pathlib import Path

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def _revisions() -> dict[str, tuple[str | None, Path]]:
    """revision id -> (down revision, file), read from the files' text."""
    found: dict[str, tuple[str | None, Path]] = {}
    for path in VERSIONS.glob("*.py"):
        values = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) \
                    and node.targets[0].id in ("revision", "down_revision"):
                values[node.targets[0].id] = ast.literal_eval(node.value)
        found[values["revision"]] = (values["down_revision"], path)
    return found


def test_no_migration_imports_the_portal():
    offenders = sorted(p.name for p in [*VERSIONS.glob("*.py"), VERSIONS.parent / "env.py",
                                        VERSIONS.parent / "script.py.mako"]
                       if re.search(r"^\s*(import|from)\s+richwell\b", p.read_text(), re.M))
    assert offenders == []


def test_file_numbers_follow_the_revision_chain():
    revisions = _revisions()
    children = {down: rev for rev, (down, _) in revisions.items()}
    assert len(children) == len(revisions), "the chain has a branch"
    chain, current = [], children.get(None)
    while current is not None:
        chain.append(revisions[current][1].name)
        current = children.get(current)
    assert len(chain) == len(revisions)
    assert [name[:4] for name in chain] == [f"{n:04d}" for n in range(1, len(chain) + 1)]

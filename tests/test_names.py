"""Names a newcomer can find: every module's file name is unique, table handles are named for their table, and the
tests mirror the modules (DESIGN.md, Shape).

The layout is layer-first: a layer is a folder (api, web, queries, cycle, models, domain, bpm, …). A feature that
has a module in several layers names each after the feature with the layer's suffix — inspections_api,
inspections_pages, inspections_queries, inspections_records, inspections_tables, inspections_handlers — so one
search for the feature's name lists it end to end.

A test file is named for what it tests: tests/<folder>/test_<module>[_<aspect>].py beside the mirror of
<folder>/<module>.py, or test_<package>_<aspect>.py for a package's behaviour across its modules; the tests of the
BPMN models are tests/workflows/test_<process>[_<aspect>].py, or test_workflows_<aspect>.py for all of them.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ("service", "workers")


def _modules() -> list[Path]:
    return [p for folder in CODE for p in (ROOT / folder).rglob("*.py")
            if "__pycache__" not in p.parts and "static" not in p.parts]


def test_every_module_file_name_is_unique() -> None:
    names = Counter(p.name for p in _modules() if p.name != "__init__.py")
    repeated = sorted(name for name, count in names.items() if count > 1)
    assert not repeated, f"file names that repeat (one search should find one file): {repeated}"


def test_table_handles_are_named_for_their_table() -> None:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Attribute) and node.value.attr == "__table__"
                    and len(node.targets[0].id) <= 2):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.targets[0].id}")
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Attribute) and node.value.attr.isupper()
                    and node.targets[0].id.isupper() and len(node.targets[0].id) <= 2):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.targets[0].id} = ….{node.value.attr}")
            if isinstance(node, ast.ImportFrom):
                found += [f"{path.relative_to(ROOT)}:{node.lineno} {a.name} as {a.asname}" for a in node.names
                          if a.asname and a.asname.isupper() and len(a.asname) <= 2]
    assert not found, f"one- or two-letter table handles: {found}"


def test_no_module_is_named_like_the_database_engine_variable() -> None:
    """`engine` names the SQLAlchemy engine (runtime.engine); the workflow engine's package is service.bpm."""
    clashes = [str(p.relative_to(ROOT)) for p in _modules() if p.stem == "engine" or p.parent.name == "engine"]
    assert not clashes


def _mirrors(test: Path) -> bool:
    folder = test.parent.relative_to(ROOT / "tests")
    subject = test.stem.removeprefix("test_")
    if folder == Path("."):
        return True  # repository-wide checks (layers, names, sources, the plan's requirements)
    if folder == Path("workflows"):
        stems = [p.stem for p in (ROOT / "workflows").glob("*.bpmn")] + ["workflows"]
    else:
        source = ROOT / folder
        stems = [p.stem for p in source.glob("*.py") if p.stem != "__init__"]
        stems += [p.name for p in source.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
        stems.append(source.name)
    return any(subject == stem or subject.startswith(stem + "_") for stem in stems)


def test_the_tests_mirror_the_modules() -> None:
    strays = sorted(str(t.relative_to(ROOT)) for t in (ROOT / "tests").rglob("test_*.py")
                    if "__pycache__" not in t.parts and not _mirrors(t))
    assert not strays, f"test files that mirror no module: {strays}"

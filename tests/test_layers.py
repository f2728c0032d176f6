"""The layers stay apart: the web pages and the API run no SQL of their own (they call service/queries for reads and
commands or domain modules for writes), and nothing in service/queries writes.

Read from the source (ast) and, for module-level objects, from the imported modules themselves.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import FromClause

ROOT = Path(__file__).resolve().parents[1]
FACES = sorted(p for folder in ("service/web", "service/api") for p in (ROOT / folder).rglob("*.py"))
QUERIES = sorted((ROOT / "service/queries").rglob("*.py"))

# Where the table objects live: a page or API view that imports from here is reaching past the queries.
TABLE_MODULES = ("service.models", "service.bpm.statements")
WRITE_FUNCTIONS = {"insert", "update", "delete"}
# Methods that only a write calls (.values with arguments; dict.values() takes none).
WRITE_METHODS = {"values", "returning", "on_conflict_do_update", "on_conflict_do_nothing", "commit", "begin", "write"}
WRITE_SQL = ("insert ", "update ", "delete ", "truncate ", "alter ", "drop ", "create ")


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(tree: ast.AST) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import, wherever it stands (also inside functions)."""
    found: list[tuple[str, str | None, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name, node.lineno) for alias in node.names]
    return found


def _reaches_tables(module: str, name: str | None) -> bool:
    full = f"{module}.{name}" if name else module
    return module.split(".")[0] == "sqlalchemy" or any(
        full == t or full.startswith(t + ".") or module == t or module.startswith(t + ".") for t in TABLE_MODULES)


@pytest.mark.parametrize("path", FACES, ids=_name)
def test_pages_and_api_import_neither_sqlalchemy_nor_tables(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [f"line {line}: {module}{'.' + name if name else ''}" for module, name, line in _imports(tree)
           if _reaches_tables(module, name)]
    bad += [f"line {node.lineno}: .__table__" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "__table__"]
    assert not bad, f"{_name(path)} reaches the database itself; add a query or a command instead: {bad}"


@pytest.mark.parametrize("path", FACES, ids=_name)
def test_pages_and_api_hold_no_table_objects(path):
    module = importlib.import_module(_name(path))
    held = [name for name, value in vars(module).items() if isinstance(value, FromClause | UpdateBase)]
    # …nor reaches one through another module (indicators.INDICATORS).
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = vars(module).get(node.value.id)
            if isinstance(owner, ModuleType) and isinstance(getattr(owner, node.attr, None), FromClause | UpdateBase):
                held.append(f"{node.value.id}.{node.attr}")
    assert not held, f"{_name(path)} holds table objects or statements: {held}"


def _writes(tree: ast.AST) -> list[str]:
    bad: list[str] = []
    for module, name, line in _imports(tree):
        if module.split(".")[0] == "sqlalchemy" and name in WRITE_FUNCTIONS:
            bad.append(f"line {line}: imports {module}.{name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in WRITE_FUNCTIONS:
            bad.append(f"line {node.lineno}: {func.id}(…)")
        elif isinstance(func, ast.Attribute):
            receiver = func.value
            # dict.update and list.insert are fine; on a table (TABLE.update(), sa.insert()) they are writes.
            on_table = (isinstance(receiver, ast.Name) and (receiver.id.isupper() or receiver.id in ("sa", "sqlalchemy"))
                        or isinstance(receiver, ast.Attribute) and receiver.attr == "__table__")
            if (func.attr in WRITE_METHODS and (func.attr != "values" or node.args or node.keywords)
                    or func.attr in WRITE_FUNCTIONS and on_table):
                bad.append(f"line {node.lineno}: .{func.attr}(…)")
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                    and arg.value.strip().lower().startswith(WRITE_SQL):
                bad.append(f"line {node.lineno}: SQL {arg.value[:30]!r}")
    return bad


@pytest.mark.parametrize("path", QUERIES, ids=_name)
def test_queries_do_not_write(path):
    bad = _writes(ast.parse(path.read_text(encoding="utf-8")))
    assert not bad, f"{_name(path)} writes; move it to a command module: {bad}"


@pytest.mark.parametrize("path", QUERIES, ids=_name)
def test_queries_hold_no_write_statements(path):
    module = importlib.import_module(_name(path))
    held = [name for name, value in vars(module).items() if isinstance(value, UpdateBase)]
    assert not held, f"{_name(path)} holds insert/update/delete statements: {held}"


def test_the_write_check_sees_writes():
    """The check above is no vacuous pass: it finds each kind of write it looks for."""
    source = '''
from sqlalchemy import update, text
def f(conn, engine):
    conn.execute(update(T).values(a=1))
    conn.execute(T.insert())
    conn.execute(text("DELETE FROM x"))
    with db.write(engine) as c:
        pass
    {}.update(a=1)
    [].insert(0, 1)
    {}.values()
'''
    found = _writes(ast.parse(source))
    assert len(found) == 6, found
    assert not any(f"line {n}:" in f for f in found for n in (9, 10, 11))  # a dict's or list's methods are no write

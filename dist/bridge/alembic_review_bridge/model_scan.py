"""The model classes declared in the project's source, found by reading its
files (no code of the project runs). Started in a thread of its own once the
project is loaded (start(), from prewarm): reading and parsing a few hundred
files takes about as long as creating the models' tables, and neither needs
the other; the models command takes the result (model_classes())."""

from __future__ import annotations

import ast
import io
import os
import threading

from .project import PROJECT

_scan = None


class _Scan(threading.Thread):
    def __init__(self, root, version_dirs):
        super().__init__(name="alembic-review model scan", daemon=True)
        self.root = root
        self.version_dirs = list(version_dirs)
        self.found = None

    def run(self):
        try:
            self.found = _declared_models(self.root, self.version_dirs)
        except Exception:  # noqa: BLE001 - read again where it is needed
            self.found = None


def start():
    """Starts reading the loaded project's files, once per loaded project."""
    global _scan
    if _scan is None or _scan.version_dirs != list(PROJECT.version_dirs):
        _scan = _Scan(os.getcwd(), PROJECT.version_dirs)
        _scan.start()


def model_classes(metadata_tables):
    """Each declared model class, and whether the metadata knows its table."""
    scan = _scan
    found = None
    if scan is not None and scan.root == os.getcwd() and scan.version_dirs == list(PROJECT.version_dirs):
        scan.join()
        found = scan.found
    if found is None:
        found = _declared_models(os.getcwd(), PROJECT.version_dirs)
    known = set(metadata_tables)
    return [dict(model, inMetadata=model["table"] in known) for model in found]


_SKIP_DIRS = set(
    [".git", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", ".tox", ".nox", "build", "dist",
     ".mypy_cache", ".pytest_cache", ".ruff_cache"]
)


def _declared_models(root, version_dirs):
    """Model classes declared in the project's source, found by reading the
    files under root (not importing them); the revisions' directories skipped."""
    found = []
    seen_files = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")]
        real_dir = os.path.realpath(dirpath)
        if any(real_dir == d or real_dir.startswith(d + os.sep) for d in version_dirs):
            dirnames[:] = []
            continue
        for filename in filenames:
            if not filename.endswith(".py"):
                continue
            seen_files += 1
            if seen_files > 5000:
                return found
            path = os.path.join(dirpath, filename)
            try:
                with io.open(path, encoding="utf-8") as handle:
                    source = handle.read()
                if "__tablename__" not in source and "table=True" not in source and "Table(" not in source:
                    continue
                tree = ast.parse(source, filename=path)
            except (SyntaxError, UnicodeDecodeError, OSError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    name = _declared_table(node)
                elif isinstance(node, ast.Call):
                    name = _core_table(node)
                else:
                    continue
                if name is None:
                    continue
                table, schema = name
                key = "%s.%s" % (schema or "public", table)
                found.append(
                    {
                        "table": key,
                        "className": node.name if isinstance(node, ast.ClassDef) else 'Table("%s")' % table,
                        "file": os.path.realpath(path),
                        "line": node.lineno,
                        "columns": _column_lines(node),
                    }
                )
    return found


_COLUMN_CALLS = set(["Column", "mapped_column", "Field"])


def _called_name(node):
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _column_name(call, default):
    """The database name of a Column(...) call: its first string argument or name=, else the attribute's."""
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    for keyword in call.keywords:
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
            if isinstance(keyword.value.value, str):
                return keyword.value.value
    return default


def _column_lines(node):
    """Column name -> line of its Column(...) / mapped_column(...) (or SQLModel field) in a model class
    or a Core Table(...) call, so that drift findings can point at the model's line."""
    lines = {}
    if isinstance(node, ast.Call):
        for arg in node.args[2:]:
            if _called_name(arg) == "Column" and arg.args:
                name = _column_name(arg, None)
                if name:
                    lines.setdefault(name, arg.lineno)
        return lines
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id.startswith("__"):
            continue
        if value is None:  # `name: Mapped[int]` or a SQLModel field without Field()
            lines.setdefault(target.id, stmt.lineno)
        elif _called_name(value) in _COLUMN_CALLS:
            lines.setdefault(_column_name(value, target.id), value.lineno)
    return lines


def _core_table(node):
    """(table, schema) of a Core `Table("name", metadata, ...)` call."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called != "Table" or len(node.args) < 2:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    schema = None
    for keyword in node.keywords:
        if keyword.arg == "schema" and isinstance(keyword.value, ast.Constant):
            schema = keyword.value.value
    return first.value, schema


def _declared_table(node):
    """(table, schema) a class body declares via __tablename__ (or SQLModel's table=True)."""
    table = None
    schema = None
    for stmt in node.body:
        targets = []
        value = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if target.id == "__tablename__" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                table = value.value
            elif target.id == "__table_args__":
                schema = _schema_from_table_args(value) or schema
    if table is None:
        for keyword in node.keywords:
            if keyword.arg == "table" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True:
                table = node.name.lower()
    return (table, schema) if table else None


def _schema_from_table_args(value):
    dicts = [value] if isinstance(value, ast.Dict) else []
    if isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[-1], ast.Dict):
        dicts.append(value.elts[-1])
    for d in dicts:
        for key, val in zip(d.keys, d.values):
            if isinstance(key, ast.Constant) and key.value == "schema" and isinstance(val, ast.Constant):
                return val.value
    return None

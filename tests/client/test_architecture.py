"""Import rules of app/ and server/, checked on the source (AST), with file:line for each breach."""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAYERS = ("app.models", "app.sync", "app.services", "app.ui")
"""The client's layers, lowest first: a module may import its own layer and the ones below."""

COMPOSITION_ROOT = "app.main"
"""Builds the QApplication and runs qasync; the one module outside app/ui that reaches app.ui."""

WIDGET_MODULES = ("PySide6.QtWidgets", "qasync")
QT_MODULES = ("PySide6", "shiboken6")
NO_QT = ("app.models", "app.sync", "app.services", "app.workers", "app.config", "app.settings",
         "app.policy", "app.i18n", "app.selftest", "app.version")
SERVER_ALLOWED_IN = ("app.main", "app.demo")
UI_FORBIDDEN = ("sqlalchemy", "requests")
SERVER_FORBIDDEN = ("PySide6", "shiboken6", "qasync", "app")
DYNAMIC_IMPORTERS = ("import_module", "__import__")


@dataclass(frozen=True, order=True)
class Violation:
    path: str  # relative to the checked root, with forward slashes
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.detail}"


@dataclass(frozen=True)
class ImportRef:
    line: int
    names: tuple[str, ...]  # every dotted name the statement can bind: `from a import b` -> a, a.b
    star: bool = False


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _first(names: tuple[str, ...], prefixes: tuple[str, ...]) -> str | None:
    return next((n for n in names for p in prefixes if _under(n, p)), None)


def _layer(name: str) -> int | None:
    return next((i for i, layer in enumerate(LAYERS) if _under(name, layer)), None)


def module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of `from <level dots><target> import ...` written in `module`."""
    if level == 0:
        return target or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, target] if target else base)


def imports_of(tree: ast.AST, module: str, is_package: bool) -> Iterator[ImportRef]:
    """Every import in the file, nested ones (inside functions, `if`, `try`) included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield ImportRef(node.lineno, tuple(alias.name for alias in node.names))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            star = any(alias.name == "*" for alias in node.names)
            names = (base, *(f"{base}.{a.name}" for a in node.names if a.name != "*"))
            yield ImportRef(node.lineno, names, star)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (called in DYNAMIC_IMPORTERS and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)):
                yield ImportRef(node.lineno, (first.value,))


def _import_rules(module: str, ref: ImportRef) -> Iterator[tuple[str, str]]:
    names = ref.names
    in_app, in_ui = _under(module, "app"), _under(module, "app.ui")
    own = _layer(module)
    if own is not None:
        for name in names:
            layer = _layer(name)
            if layer is not None and layer > own:
                yield ("layer", f"{module} ({LAYERS[own]}) imports {name} from the higher "
                                f"layer {LAYERS[layer]}; layers run app.ui → app.services → "
                                "app.sync → app.models")
                break
    if in_app and not in_ui and module != COMPOSITION_ROOT:
        hit = _first(names, WIDGET_MODULES)
        if hit:
            yield ("widgets-only-in-ui", f"{module} imports {hit}; only app/ui/** (and the "
                                         "composition root app/main.py) may")
    if any(_under(module, m) for m in NO_QT):
        hit = _first(names, QT_MODULES)
        if hit:
            yield ("no-qt-below-ui", f"{module} imports {hit}; models, sync, services, "
                                     "workers and config import no PySide6 at all")
    if in_ui:
        hit = _first(names, UI_FORBIDDEN)
        if hit:
            yield ("ui-no-db-or-http", f"{module} imports {hit}; app/ui reaches the database "
                                       "and the network only through app.services")
    if in_app and module not in SERVER_ALLOWED_IN:
        hit = _first(names, ("server",))
        if hit:
            yield ("app-not-server", f"{module} imports {hit}; only app/main.py and app/demo.py "
                                     "may start the server")
    if module != COMPOSITION_ROOT:
        private = (COMPOSITION_ROOT,) if in_ui else ("app.ui", COMPOSITION_ROOT)
        hit = _first(names, private)
        if hit:
            rule = ("nothing imports app.main" if _under(hit, COMPOSITION_ROOT)
                    else "only app/main.py and app/ui/** import app.ui")
            yield ("entry-points", f"{module} imports {hit}; {rule}")
    if _under(module, "server"):
        hit = _first(names, SERVER_FORBIDDEN)
        if hit:
            yield ("server-standalone", f"{module} imports {hit}; the server never imports "
                                        "Qt or the client")
    if ref.star:
        yield ("no-star-import", f"{module}: `from {names[0]} import *`")


def _needs_docstring(relative: Path, source: str) -> bool:
    if relative.name == "__init__.py" and not source.strip():
        return False
    return relative.parts[:3] != ("server", "migrations", "versions")


def _docstring_rule(tree: ast.Module) -> str | None:
    first = tree.body[0] if tree.body else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return "the module does not start with a docstring"
    text = first.value.value.strip()
    if not text or "\n" in text:
        return "the module docstring is not one line"
    return None


def python_files(root: Path) -> list[Path]:
    return sorted(p for top in ("app", "server") if (root / top).is_dir()
                  for p in (root / top).rglob("*.py") if "__pycache__" not in p.parts)


def check_tree(root: Path) -> list[Violation]:
    """All breaches of the rules in `root`'s app/ and server/ (a repository or a scratch copy)."""
    found: set[Violation] = set()
    for path in python_files(root):
        relative = path.relative_to(root)
        shown = relative.as_posix()
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source, filename=shown)
        except SyntaxError as exc:
            found.add(Violation(shown, exc.lineno or 0, "syntax", str(exc)))
            continue
        module = module_name(relative)
        for ref in imports_of(tree, module, relative.name == "__init__.py"):
            for rule, detail in _import_rules(module, ref):
                found.add(Violation(shown, ref.line, rule, detail))
        if _needs_docstring(relative, source):
            problem = _docstring_rule(tree)
            if problem:
                found.add(Violation(shown, 1, "docstring", problem))
    return sorted(found)


def _report(violations: list[Violation]) -> str:
    return "\n".join(str(v) for v in violations)


def test_the_code_keeps_its_architecture() -> None:
    files = python_files(ROOT)
    assert len(files) > 40 and ROOT / "app/ui/chat_panel.py" in files  # really scanned the tree
    violations = check_tree(ROOT)
    print(_report(violations) or "no architecture violations")
    assert not violations, f"{len(violations)} architecture violation(s):\n{_report(violations)}"


# ---- the checker itself, on a scratch tree with planted breaches ----------------------------

PLANTED_IN_SYNC = '''\
from app.services.chat import ConversationRow  # PLANT layer
from PySide6.QtCore import QObject  # PLANT no-qt
from PySide6 import QtWidgets  # PLANT widgets
from ..ui import theme  # PLANT relative
import server.app  # PLANT server
from kefu_protocol.wire import *  # PLANT star


def _late() -> None:
    import qasync  # PLANT nested
    import importlib
    importlib.import_module("app.main")  # PLANT dynamic
'''

PLANTED_IN_UI = '''\
"""A widget that cuts corners."""

from requests import Session  # PLANT requests
import sqlalchemy.orm as orm  # PLANT sqlalchemy
from app import main  # PLANT main
from app.ui import theme
from app.models.store import Store
from PySide6.QtWidgets import QWidget
'''


def _line_of(path: Path, marker: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.endswith(f"# PLANT {marker}"))


def _plant(tmp_path: Path) -> Path:
    """A scratch tree: real modules copied, one of them with bad imports, plus bad new files."""
    root = tmp_path / "tree"
    for relative in ("app/__init__.py", "app/main.py", "app/demo.py", "app/sync/__init__.py",
                     "app/sync/outbox.py", "app/ui/__init__.py", "app/ui/theme.py",
                     "server/__init__.py"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, root / relative)
    outbox = root / "app/sync/outbox.py"
    text = outbox.read_text(encoding="utf-8")
    anchor = "from __future__ import annotations\n"
    assert anchor in text
    outbox.write_text(text.replace(anchor, anchor + "\n" + PLANTED_IN_SYNC, 1), encoding="utf-8")
    files = {
        "app/ui/shortcut.py": PLANTED_IN_UI,
        "app/models/__init__.py": "",
        "app/models/nodoc.py": "VALUE = 1\n",
        "app/models/longdoc.py": '"""Two lines.\n\nOf docstring."""\n',
        "server/migrations/versions/0002_nodoc.py": "revision = '0002'\n",
        "server/leaky.py": '"""Server module."""\n\nfrom PySide6.QtWidgets import QWidget\n',
    }
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content, encoding="utf-8")
    return root


def test_the_checker_reports_each_planted_violation_and_nothing_else(tmp_path: Path) -> None:
    root = _plant(tmp_path)
    sync, ui = root / "app/sync/outbox.py", root / "app/ui/shortcut.py"
    s, u = "app/sync/outbox.py", "app/ui/shortcut.py"
    expected = {
        (s, _line_of(sync, "layer"), "layer"),
        (s, _line_of(sync, "no-qt"), "no-qt-below-ui"),
        (s, _line_of(sync, "widgets"), "widgets-only-in-ui"),
        (s, _line_of(sync, "widgets"), "no-qt-below-ui"),
        (s, _line_of(sync, "relative"), "layer"),
        (s, _line_of(sync, "relative"), "entry-points"),
        (s, _line_of(sync, "server"), "app-not-server"),
        (s, _line_of(sync, "star"), "no-star-import"),
        (s, _line_of(sync, "nested"), "widgets-only-in-ui"),
        (s, _line_of(sync, "dynamic"), "entry-points"),
        (u, _line_of(ui, "requests"), "ui-no-db-or-http"),
        (u, _line_of(ui, "sqlalchemy"), "ui-no-db-or-http"),
        (u, _line_of(ui, "main"), "entry-points"),
        ("app/models/nodoc.py", 1, "docstring"),
        ("app/models/longdoc.py", 1, "docstring"),
        ("server/leaky.py", 3, "server-standalone"),
    }
    violations = check_tree(root)
    print(_report(violations))
    assert {(v.path, v.line, v.rule) for v in violations} == expected, _report(violations)


def test_the_unmodified_copies_pass(tmp_path: Path) -> None:
    """The same scratch modules without the plants: app/main.py and app/demo.py are allowed."""
    root = _plant(tmp_path)
    shutil.copy(ROOT / "app/sync/outbox.py", root / "app/sync/outbox.py")
    for relative in ("app/ui/shortcut.py", "app/models/nodoc.py", "app/models/longdoc.py",
                     "server/leaky.py"):
        (root / relative).unlink()
    assert check_tree(root) == []


def test_relative_imports_resolve_against_the_package() -> None:
    assert _resolve("app.sync.engine", False, 1, "outbox") == "app.sync.outbox"
    assert _resolve("app.sync.engine", False, 2, "ui") == "app.ui"
    assert _resolve("app.sync", True, 1, None) == "app.sync"
    assert _resolve("app.sync", True, 2, "models.store") == "app.models.store"

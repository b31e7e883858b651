"""Every sentence the app can show exists in Chinese and English with the same fields: no raw
catalog key and no half-translated template ever reaches an agent or IT."""

from __future__ import annotations

import ast
import string
import typing
from pathlib import Path

from app.i18n import CATALOG, Tr, problem_text
from app.selftest import Status
from app.services.connection import Outcome
from app.settings import SETTINGS, ConfigProblem

APP = Path(__file__).resolve().parents[2] / "app"
TR_NAMES = {"tr", "tr_"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _tr_calls() -> list[tuple[str, int, ast.expr]]:
    """(file, line, first argument) of every `tr(...)` / `self.tr_(...)` call in app/."""
    calls = []
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name in TR_NAMES:
                calls.append((str(path.relative_to(APP.parent)), node.lineno, node.args[0]))
    return calls


def test_both_languages_take_the_same_fields() -> None:
    mismatched = {key: (zh, en) for key, (zh, en) in CATALOG.items()
                  if _fields(zh) != _fields(en)}
    assert not mismatched
    assert all(zh and en for zh, en in CATALOG.values())


def test_every_key_the_code_asks_for_exists() -> None:
    calls = _tr_calls()
    assert len(calls) > 80, "the scan found the app's calls"
    missing = []
    for where, line, arg in calls:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            if arg.value not in CATALOG:
                missing.append(f"{where}:{line}: {arg.value}")
        elif isinstance(arg, ast.JoinedStr):  # f"probe.{outcome}": its fixed start must exist
            head = arg.values[0]
            prefix = head.value if isinstance(head, ast.Constant) else ""
            if not prefix or not any(key.startswith(prefix) for key in CATALOG):
                missing.append(f"{where}:{line}: {ast.unparse(arg)}")
    assert not missing, "\n".join(missing)


def test_every_computed_key_exists() -> None:
    wanted = [f"probe.{outcome}" for outcome in typing.get_args(Outcome)]
    wanted += [f"selftest.check.{cid}" for cid in (
        "configuration", "server", "tls", "protocol", "keyring", "data_dir", "database",
        "qt_font", "notifications")]
    wanted += [f"selftest.from_{source}" for source in (
        "policy", "user", "default", "command_line")]
    for setting in SETTINGS:
        if setting.user:
            wanted += [f"setting.{setting.key}", f"setting.{setting.key}.help"]
            wanted += [f"setting.{setting.key}.{choice}" for choice in setting.choices]
    wanted += [f"type.{t}" for t in ("bool", "int", "str", "list")]
    assert not [key for key in wanted if key not in CATALOG]
    assert set(typing.get_args(Status)) == {"ok", "warn", "fail", "skip"}


def test_each_problem_kind_reads_as_a_sentence_in_both_languages() -> None:
    fields = {"error": "E", "expected": "int", "value": "V", "choices": "a / b", "low": "1",
              "high": "9", "path": "/p"}
    for kind in ("syntax", "unknown_key", "wrong_type", "bad_choice", "out_of_range",
                 "bad_url", "insecure_url", "ca_missing", "ca_not_pem", "locked_unknown",
                 "unreadable"):
        problem = ConfigProblem("/etc/kefudesk/deploy.toml", "idle_timeout_min", kind, fields)
        for language in ("zh", "en"):
            text = problem_text(Tr(language), problem)
            assert "/etc/kefudesk/deploy.toml" in text and "config." not in text, (kind, text)


def test_no_key_is_defined_in_two_text_modules() -> None:
    from app.i18n import TEXT_MODULES

    assert len(TEXT_MODULES) >= 8
    assert sum(len(part) for part in TEXT_MODULES) == len(CATALOG), "a key is defined twice"

"""IT's machine policy (`deploy.toml`): where it lives, strict reading, writing for installers."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.settings import BY_KEY, ConfigProblem, check_value, parse_text

LOCKED_KEY = "locked"
"""The list of settings users may not change, beside the settings the policy sets."""


def default_policy_path() -> Path:
    """`/etc/kefudesk/deploy.toml`, `%ProgramData%\\KefuDesk\\deploy.toml` on Windows;
    KEFU_POLICY_FILE overrides (tests, IT trying a file out)."""
    override = os.environ.get("KEFU_POLICY_FILE")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("PROGRAMDATA", r"C:\ProgramData")
        return Path(base) / "KefuDesk" / "deploy.toml"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/KefuDesk/deploy.toml")
    return Path("/etc/kefudesk/deploy.toml")


@dataclass(frozen=True)
class Policy:
    """The values IT set (they win over the user's) and the keys IT locked."""

    path: Path
    values: dict[str, Any] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()
    problems: tuple[ConfigProblem, ...] = ()
    exists: bool = False

    def locks(self, key: str) -> bool:
        return key in self.values or key in self.locked


def _raw(path: Path) -> tuple[dict[str, Any], list[ConfigProblem]]:
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return {}, [ConfigProblem(source, "", "unreadable",
                                  {"error": exc.strerror or type(exc).__name__})]
    except UnicodeDecodeError:
        return {}, [ConfigProblem(source, "", "syntax", {"error": "not UTF-8"})]
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return {}, [ConfigProblem(source, "", "syntax", {"error": str(exc)})]


def check_policy(path: Path, raw: dict[str, Any]) -> Policy:
    """Keeps every valid entry; each invalid one becomes a problem and is ignored."""
    source = str(path)
    values: dict[str, Any] = {}
    locked: set[str] = set()
    problems: list[ConfigProblem] = []
    for key, value in raw.items():
        if key == LOCKED_KEY:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(ConfigProblem(source, key, "wrong_type",
                                              {"expected": "list", "value": repr(value)}))
                continue
            unknown = [v for v in value if v not in BY_KEY]
            if unknown:
                problems.append(ConfigProblem(source, key, "locked_unknown",
                                              {"value": ", ".join(unknown)}))
            locked.update(v for v in value if v in BY_KEY)
            continue
        problem = check_value(source, key, value)
        if problem is None:
            values[key] = value
        else:
            problems.append(problem)
    return Policy(path, values, frozenset(locked), tuple(problems), exists=True)


def load_policy(path: Path | None = None) -> Policy:
    """The machine policy; a missing file is an empty policy, not a problem."""
    path = path or default_policy_path()
    if not path.exists():
        return Policy(path)
    raw, problems = _raw(path)
    if problems:
        return Policy(path, problems=tuple(problems), exists=True)
    return check_policy(path, raw)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def assignments(pairs: list[str]) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """`key=value` words from an installer's command line, typed by the declarations."""
    values: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(ConfigProblem("command line", pair, "syntax",
                                          {"error": "expected key=value"}))
        elif key == LOCKED_KEY:
            values[key] = [k.strip() for k in text.split(",") if k.strip()]
        else:
            values[key] = parse_text(key, text)
    return values, problems


def write_policy(path: Path, pairs: list[str]) -> list[ConfigProblem]:
    """Merges `key=value` pairs into the policy file, checked exactly as the app reads it;
    writes nothing and returns the problems if any entry is wrong."""
    new, problems = assignments(pairs)
    existing = load_policy(path) if path.exists() else Policy(path)
    merged: dict[str, Any] = dict(existing.values)
    if existing.locked:
        merged[LOCKED_KEY] = sorted(existing.locked)
    merged.update(new)
    checked = check_policy(path, merged)
    problems += [p for p in checked.problems if p.key in new]
    if problems:
        return problems
    lines = ["# KefuDesk machine policy: these values win over each user's settings.",
             "# Written by `kefudesk --write-deploy-config`; see README, 'Installing'."]
    lines += [f"{key} = {_toml_value(value)}" for key, value in merged.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return []

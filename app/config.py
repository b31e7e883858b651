"""The settings in force: machine policy > the user's file > defaults; and where files live."""

from __future__ import annotations

import copy
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any, Literal

import platformdirs

from app.policy import Policy, load_policy
from app.settings import BY_KEY, ConfigProblem, check_value

log = logging.getLogger(__name__)

APP_NAME = "KefuDesk"

Source = Literal["policy", "user", "default"]
LockReason = Literal["policy", "shared_computer", "auto_login_off"]


def data_root() -> Path:
    """Caches and logs; KEFU_DATA_DIR overrides (tests, demo, portable installs)."""
    override = os.environ.get("KEFU_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, False))


def config_path() -> Path:
    override = os.environ.get("KEFU_CONFIG_DIR")
    base = Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, False))
    return base / "settings.json"


class SettingLocked(Exception):
    """IT's machine policy decides this setting."""


class Config:
    """Resolves each setting; the user's file keeps only valid values, each problem is listed."""

    def __init__(self, path: Path, policy: Policy | None = None) -> None:
        self.path = path
        self.policy = policy if policy is not None else load_policy()
        self._values: dict[str, Any] = {}
        user_problems: list[ConfigProblem] = []
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                user_problems.append(ConfigProblem(str(path), "", "syntax",
                                                   {"error": type(exc).__name__}))
                raw = {}
            for key, value in (raw if isinstance(raw, dict) else {}).items():
                problem = check_value(str(path), key, value)
                if problem is None:
                    self._values[key] = value
                else:
                    user_problems.append(problem)
        self.problems: list[ConfigProblem] = [*self.policy.problems, *user_problems]

    def get(self, key: str) -> Any:
        """The value in force; dicts and lists are copies the caller may change."""
        if key in self.policy.values:
            value = self.policy.values[key]
        else:
            value = self._values.get(key, BY_KEY[key].default)
        return copy.deepcopy(value) if isinstance(value, dict | list) else value

    def source(self, key: str) -> Source:
        if key in self.policy.values:
            return "policy"
        return "user" if key in self._values else "default"

    def lock_reason(self, key: str) -> LockReason | None:
        """Why the user may not change `key`: IT's file sets or locks it, or another policy
        value rules it out (auto-login on a shared computer, or where IT forbids it)."""
        if self.policy.locks(key):
            return "policy"
        if key == "auto_login" and self.get("shared_computer"):
            return "shared_computer"
        if key == "auto_login" and not self.get("auto_login_allowed"):
            return "auto_login_off"
        return None

    def locked(self, key: str) -> bool:
        return self.lock_reason(key) is not None

    def set(self, key: str, value: Any) -> None:
        """Saves a user setting; refuses locked keys and invalid values."""
        if self.locked(key):
            raise SettingLocked(key)
        problem = check_value(str(self.path), key, value)
        if problem is not None:
            raise ValueError(str(problem))
        self._values[key] = value
        self._save()

    def reset(self, key: str) -> None:
        """Back to the default (or what IT set)."""
        if self._values.pop(key, None) is not None:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._values, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(self.path)

    def remember_account(self, account: str) -> None:
        """The login window offers the last account, except on a shared computer (H1.8)."""
        if not self.get("shared_computer") and not self.locked("last_account"):
            self.set("last_account", account)

    def auto_login_permitted(self) -> bool:
        return bool(self.get("auto_login_allowed")) and not self.get("shared_computer")

    def device_id(self) -> str:
        value = str(self.get("device_id"))
        if not value:
            value = str(uuid.uuid4())
            self._values["device_id"] = value
            self._save()
        return value

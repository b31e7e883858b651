"""Settings declared once (typed, with defaults) and where the client keeps its files."""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "KefuDesk"


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting("server_url", str, "", "Sync server address (https://…; http only to this machine)"),
    Setting("ca_bundle", str, "", "PEM file of extra trusted certificate authorities"),
    Setting("language", str, "zh", "User interface language: zh or en"),
    Setting("auto_login", bool, False, "Sign in with the keyring's token at start (H1.9)"),
    Setting("last_account", str, "", "The account last signed in on this computer"),
    Setting("device_id", str, "", "This installation's id, sent with logins"),
)
_BY_KEY = {s.key: s for s in SETTINGS}


def data_root() -> Path:
    """Caches and logs; KEFU_DATA_DIR overrides (tests, demo, portable installs)."""
    override = os.environ.get("KEFU_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, False))


def config_path() -> Path:
    override = os.environ.get("KEFU_CONFIG_DIR")
    base = Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, False))
    return base / "settings.json"


class Config:
    """User settings in a JSON file; unknown keys and wrong types fall back to defaults."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self._values: dict[str, Any] = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                self.problems.append(f"{path}: {type(exc).__name__}")
                raw = {}
            for key, value in (raw if isinstance(raw, dict) else {}).items():
                setting = _BY_KEY.get(key)
                if setting is None:
                    self.problems.append(f"{path}: unknown setting {key!r}")
                elif not isinstance(value, setting.type):
                    self.problems.append(f"{path}: {key} should be {setting.type.__name__}")
                else:
                    self._values[key] = value

    def get(self, key: str) -> Any:
        return self._values.get(key, _BY_KEY[key].default)

    def set(self, key: str, value: Any) -> None:
        setting = _BY_KEY[key]
        if not isinstance(value, setting.type):
            raise TypeError(f"{key} takes {setting.type.__name__}")
        self._values[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._values, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(self.path)

    def device_id(self) -> str:
        value = str(self.get("device_id"))
        if not value:
            value = str(uuid.uuid4())
            self.set("device_id", value)
        return value

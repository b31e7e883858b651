"""Every setting declared once (key, type, default, page, roaming or local); value checks."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
PAGES = ("general", "appearance", "chat", "notifications", "shortcuts", "advanced")
"""The settings dialog's pages, in order; each user setting names one."""

NOTIFY_EVENTS = ("new_conversation", "new_message", "transferred", "response_warning",
                 "response_breach", "handover", "system_notice", "surge", "handover_overdue")
"""What an agent can be alerted about (H10.1), in the order the settings page lists them."""
URGENT_EVENTS = frozenset({"transferred", "response_breach", "system_notice", "surge",
                           "handover_overdue"})
"""Still alerted while the agent is busy; quiet hours keep only the popup and flash. `surge`
(H11.4) reaches every agent; `handover_overdue` (H13.2) only leads."""
SOUNDS = ("chime", "ding", "knock", "bell", "alarm")
"""Sounds made for KefuDesk, `resources/sounds/<name>.wav`; "" plays none."""
NOTIFY_CHANNELS = ("sound", "volume", "popup", "flash")


def _channel(sound: str, volume: int, popup: bool, flash: bool) -> dict[str, Any]:
    return {"sound": sound, "volume": volume, "popup": popup, "flash": flash}


DEFAULT_NOTIFY: dict[str, dict[str, Any]] = {
    "new_conversation": _channel("chime", 70, True, True),
    "new_message": _channel("ding", 60, True, False),
    "transferred": _channel("knock", 80, True, True),
    "response_warning": _channel("bell", 70, False, False),
    "response_breach": _channel("alarm", 90, True, True),
    "handover": _channel("knock", 70, True, False),
    "system_notice": _channel("bell", 70, True, False),
    "surge": _channel("alarm", 90, True, True),
    "handover_overdue": _channel("bell", 80, True, True),
}
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _check_notify(value: Any) -> str | None:
    if set(value) - set(NOTIFY_EVENTS):
        return "unknown event: " + ", ".join(sorted(set(value) - set(NOTIFY_EVENTS)))
    for event, channels in value.items():
        if not isinstance(channels, dict) or set(channels) - set(NOTIFY_CHANNELS):
            return f"{event}: channels are {', '.join(NOTIFY_CHANNELS)}"
        sound = channels.get("sound", "")
        volume = channels.get("volume", 70)
        if sound not in ("", *SOUNDS):
            return f"{event}: unknown sound {sound!r}"
        if not isinstance(volume, int) or isinstance(volume, bool) or not 0 <= volume <= 100:
            return f"{event}: volume is 0-100"
        if not all(isinstance(channels.get(k, False), bool) for k in ("popup", "flash")):
            return f"{event}: popup and flash are true or false"
    return None


def _check_shortcuts(value: Any) -> str | None:
    for command_id, keys in value.items():
        if not isinstance(command_id, str) or not isinstance(keys, list) or not all(
                isinstance(k, str) and len(k) <= 40 for k in keys) or len(keys) > 3:
            return f"{command_id!r}: a list of up to 3 key sequences"
    return None


def _check_clock(value: Any) -> str | None:
    return None if _CLOCK.match(value) else "HH:MM, 00:00-23:59"


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    description: str
    """For IT and docs; the settings dialog words it through the catalog (`setting.<key>`)."""
    user: bool = True
    """Shown in the settings dialog; False for machine policy and what the app keeps itself."""
    roaming: bool = False
    """Follows the agent to any desk (synced as `setting.set`)."""
    choices: tuple[Any, ...] = ()
    bounds: tuple[int, int] | None = None
    page: str = "general"
    """Where the settings dialog shows it (one of PAGES)."""
    check: Callable[[Any], str | None] | None = None
    """Further checks beyond type, choices and bounds: None if fine, else what is wrong."""
    kind: str = ""
    """How the dialog edits a str beyond free text: "clock" (HH:MM)."""


SETTINGS: tuple[Setting, ...] = (
    Setting("server_url", str, "", "Sync server address (https://…; http only to this machine)",
            page="advanced"),
    Setting("ca_bundle", str, "", "PEM file of extra trusted certificate authorities",
            page="advanced"),
    Setting("language", str, "zh", "User interface language", roaming=True,
            choices=("zh", "en")),
    Setting("auto_login", bool, False, "Sign in with the keyring's token at start (H1.9)"),
    Setting("log_level", str, "INFO", "Detail of the local log (DEBUG for diagnostics)",
            choices=LOG_LEVELS, page="advanced"),
    Setting("shared_computer", bool, False,
            "Shared desk (H1.8): no remembered account or auto-login; the cache is cleared "
            "when the agent logs out", user=False),
    Setting("auto_login_allowed", bool, True, "Whether agents may turn on auto-login",
            user=False),
    Setting("idle_timeout_min", int, 30, "Minutes idle before the client goes offline (H1.6)",
            user=False, bounds=(1, 480)),
    Setting("last_account", str, "", "The account last signed in on this computer", user=False),
    Setting("device_id", str, "", "This installation's id, sent with logins", user=False),
    Setting("auto_pin_vip_level", int, 2,
            "Conversations of customers at this VIP level or above stay on top (0 = off)",
            roaming=True, bounds=(0, 10), page="chat"),
    Setting("theme", str, "system", "Colours: follow the system, light or dark (H2.2)",
            roaming=True, choices=("system", "light", "dark"), page="appearance"),
    Setting("ui_font_pt", int, 10, "Font size of the whole window, in points (H2.2)",
            roaming=True, bounds=(8, 20), page="appearance"),
    Setting("chat_font_pt", int, 11, "Font size of the messages, in points (H2.2)",
            roaming=True, bounds=(8, 28), page="appearance"),
    Setting("send_key", str, "enter", "Which key sends; the other one starts a new line (H2.3)",
            roaming=True, choices=("enter", "ctrl_enter"), page="chat"),
    Setting("notify", dict, DEFAULT_NOTIFY,
            "Per event: sound (name, volume 0-100), desktop popup, flash (H10.1)",
            roaming=True, page="notifications", check=_check_notify),
    Setting("busy_mutes", bool, True, "While busy, only urgent events alert (H10.1)",
            roaming=True, page="notifications"),
    Setting("quiet_hours", bool, False, "No sounds between the two times below",
            roaming=True, page="notifications"),
    Setting("quiet_from", str, "22:00", "Quiet hours start (HH:MM)", roaming=True,
            page="notifications", check=_check_clock, kind="clock"),
    Setting("quiet_to", str, "08:00", "Quiet hours end (HH:MM)", roaming=True,
            page="notifications", check=_check_clock, kind="clock"),
    Setting("shortcuts", dict, {}, "The agent's own keys: command id -> key sequences (H2.3)",
            roaming=True, page="shortcuts", check=_check_shortcuts),
    Setting("list_view", str, "all", "The conversation list's view", user=False,
            choices=("all", "mine", "queue", "waiting", "closed")),
    Setting("list_sort", str, "activity", "The conversation list's order", user=False,
            choices=("activity", "urgency", "nickname", "order")),
    Setting("window_geometry", str, "", "Main window position and size (Qt, base64)",
            user=False),
    Setting("window_splitter", str, "", "Widths of the list, chat and customer panel (Qt, "
            "base64)", user=False),
)
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class ConfigProblem:
    """What is wrong and where: the file, the key, a kind the catalog words, and fields."""

    source: str
    key: str
    kind: str
    """syntax | unknown_key | wrong_type | bad_value | bad_choice | out_of_range | bad_url |
    insecure_url | ca_missing | ca_not_pem | locked_unknown | unreadable"""
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        details = ", ".join(f"{k}={v}" for k, v in self.fields.items())
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: {self.kind}" + (f" ({details})" if details else "")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """None if `url` is a usable server address: https, or http to this machine only."""
    parts = urlsplit(url.strip())
    try:
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "bad_url"
    if parts.scheme not in ("http", "https") or not hostname:
        return "bad_url"
    if parts.scheme == "http" and not is_loopback(hostname):
        return "insecure_url"
    return None


def _ca_problem(path: str) -> tuple[str, dict[str, str]] | None:
    try:
        head = Path(path).read_bytes()[:1_000_000]
    except OSError as exc:
        return "ca_missing", {"path": path, "error": exc.strerror or type(exc).__name__}
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return "ca_not_pem", {"path": path}
    return None


def check_value(source: str, key: str, value: Any) -> ConfigProblem | None:
    """One value against its declaration; None when it may be used."""
    setting = BY_KEY.get(key)
    if setting is None:
        return ConfigProblem(source, key, "unknown_key")
    right_type = isinstance(value, setting.type) and not (
        setting.type is int and isinstance(value, bool))
    if not right_type:
        return ConfigProblem(source, key, "wrong_type",
                             {"expected": setting.type.__name__, "value": repr(value)})
    if setting.choices and value not in setting.choices:
        return ConfigProblem(source, key, "bad_choice",
                             {"value": repr(value), "choices": " / ".join(setting.choices)})
    if setting.check is not None:
        detail = setting.check(value)
        if detail is not None:
            return ConfigProblem(source, key, "bad_value", {"detail": detail})
    if setting.bounds and not setting.bounds[0] <= value <= setting.bounds[1]:
        low, high = setting.bounds
        return ConfigProblem(source, key, "out_of_range",
                             {"value": str(value), "low": str(low), "high": str(high)})
    if key == "server_url" and value:
        kind = url_problem(value)
        if kind:
            return ConfigProblem(source, key, kind, {"value": value})
    if key == "ca_bundle" and value:
        found = _ca_problem(value)
        if found:
            return ConfigProblem(source, key, found[0], found[1])
    return None


def parse_text(key: str, text: str) -> Any:
    """A value typed on a command line (`shared_computer=true`) as its declared type."""
    setting = BY_KEY.get(key)
    if setting is None or setting.type is str:
        return text
    if setting.type is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        return text
    try:
        return int(text)
    except ValueError:
        return text

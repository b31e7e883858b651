"""The local log (H10.3): JSON lines, rotating, redacted on the way out, read back."""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOG_NAME = "kefudesk.log"
MAX_BYTES = 2_000_000
BACKUPS = 5
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_MARK = "_kefu_log_handler"

_TOKENISH = r"[A-Za-z0-9_\-]"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(\bauthorization\s*[:=]\s*)(?:(?:bearer|basic|token)\s+)?[^\s,;'\"]+"),
     r"\1[REDACTED]"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+"), "Bearer [REDACTED]"),
    (re.compile(r"(?i)(?<![a-z])((?:access|refresh|id|auth|api|session|csrf)[_-]?token|"
                r"token|password|passwd|pwd|secret|api[_-]?key|密码|口令)"
                r"([\"']?\s*[:=：]\s*[\"']?)([^\s\"'&,;}]+)"), r"\1\2[REDACTED]"),
    (re.compile(r"(?i)\b((?:https?|wss?)://)[^/\s:@]+:[^/\s@]+@"), r"\1[REDACTED]@"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"), "[REDACTED:token]"),
    (re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])"), "[REDACTED:id]"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)"), "[REDACTED:phone]"),
    (re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)"), "[REDACTED:card]"),
    (re.compile(r"(?:[\u4e00-\u9fff]{2,8}(?:省|自治区|市))?[\u4e00-\u9fff]{1,8}(?:市|区|县)"
                r"[\u4e00-\u9fff\w]{0,20}?(?:路|街|道|巷|村|镇|小区|花园|苑|大厦)"
                r"[\u4e00-\u9fff\w-]{0,12}?\d+\s*(?:号|栋|幢|单元|室|楼|座)"),
     "[REDACTED:address]"),
)
_LONG = re.compile(rf"(?<!{_TOKENISH}){_TOKENISH}{{32,}}(?!{_TOKENISH})")
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _long_token(match: re.Match[str]) -> str:
    text = match.group()
    mixed = bool(re.search(r"\d", text) and re.search(r"[A-Za-z]", text))
    cased = len(text) >= 40 and text.lower() != text and text.upper() != text
    return text if _UUID.fullmatch(text) or not (mixed or cased) else "[REDACTED:token]"


def redact(text: str) -> str:
    """Masks secrets and a customer's private data in free text. Caught: `Authorization:`
    headers, bearer tokens, `token=`/`access_token`/`refresh_token`/`password`/`secret`/`密码`
    key-value pairs (also JSON and repr forms), userinfo in URLs, JWTs, 18-character ID numbers
    (with X), mainland mobile numbers (also +86, spaces, dashes), any 16–19 digit run (bank
    cards, no checksum: a safety net errs towards masking), street addresses with a house
    number (…省/市/区/县 … 路/街/道/小区 … 12号/栋/室) and token-like runs of url-safe
    characters: 32+ mixing letters and digits, or 40+ mixing cases (UUIDs, which name
    conversations, and snake_case names are kept)."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _LONG.sub(_long_token, text)


class Redactor(logging.Filter):
    """On the file handler: rewrites each record's message and exception text, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string must not break the logging call
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (ISO-8601 with offset), level, logger, module, thread,
    message and, when there is one, exc (the traceback text)."""

    def format(self, record: logging.LogRecord) -> str:
        item: dict[str, str] = {
            "ts": dt.datetime.fromtimestamp(record.created).astimezone().isoformat(
                timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "module": record.module,
            "thread": record.threadName or "", "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            item["exc"] = record.exc_text
        if record.stack_info:
            item["stack"] = record.stack_info
        return json.dumps(item, ensure_ascii=False)


def setup_logging(directory: Path, level: str, *, handler: logging.Handler | None = None,
                  max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> logging.Handler:
    """Logs into `directory` (kefudesk.log, 2 MB × 5 kept), or into `handler` when given (the
    shared computer's SessionLog, H1.8); JSON lines, redacted. Calling again replaces the
    handler set up before. Returns the handler."""
    directory.mkdir(parents=True, exist_ok=True)
    if handler is None:
        handler = logging.handlers.RotatingFileHandler(
            directory / LOG_NAME, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Redactor())
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    set_level(level)
    for noisy in ("urllib3", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def set_level(level: str) -> None:
    """Changes the detail of the log at once (the log_level setting)."""
    logging.getLogger().setLevel(getattr(logging, level.upper(), logging.INFO))


@dataclass(frozen=True)
class LogRecordView:
    """One line of the log as read back; `ts` is None for a line that is not ours."""

    ts: dt.datetime | None
    level: str
    logger: str
    message: str
    thread: str = ""
    exc: str | None = None

    def as_text(self) -> str:
        when = self.ts.isoformat(sep=" ", timespec="milliseconds") if self.ts else "-"
        line = f"{when} {self.level} {self.logger}: {self.message}"
        return f"{line}\n{self.exc}" if self.exc else line


_PLAIN = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ (\w+) (\S+): (.*)")


def parse_line(line: str) -> LogRecordView:
    """A JSON line, an old plain-text line, or anything else (kept as an INFO message)."""
    try:
        item = json.loads(line)
        ts = dt.datetime.fromisoformat(item["ts"])
        return LogRecordView(ts, str(item.get("level", "INFO")), str(item.get("logger", "")),
                             str(item.get("message", "")), str(item.get("thread", "")),
                             item.get("exc"))
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    plain = _PLAIN.fullmatch(line)
    if plain:
        when = dt.datetime.fromisoformat(plain.group(1)).astimezone()
        return LogRecordView(when, plain.group(2), plain.group(3), plain.group(4))
    return LogRecordView(None, "INFO", "", line)


def log_files(directory: Path) -> list[Path]:
    """The current and rotated logs (and shared-computer session logs), oldest first."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_file() and ".log" in p.name]
    return sorted(found, key=lambda p: (p.stat().st_mtime, -_rotation(p)))


def _rotation(path: Path) -> int:
    suffix = path.name.rsplit(".", 1)[-1]
    return int(suffix) if suffix.isdigit() else 0


@dataclass(frozen=True)
class LogFilter:
    level: str | None = None  # the least severe level shown
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    module: str | None = None  # part of the logger name
    text: str | None = None  # part of the message or traceback, any case

    def matches(self, view: LogRecordView) -> bool:
        if self.level and _rank(view.level) < _rank(self.level):
            return False
        if (self.since or self.until) and view.ts is None:
            return False
        if self.since and view.ts and view.ts < _aware(self.since):
            return False
        if self.until and view.ts and view.ts > _aware(self.until):
            return False
        if self.module and self.module.lower() not in view.logger.lower():
            return False
        needle = (self.text or "").lower()
        return not needle or needle in f"{view.message}\n{view.exc or ''}".lower()


def _rank(level: str) -> int:
    return LEVELS.index(level.upper()) if level.upper() in LEVELS else 1


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.astimezone()


class LogTail:
    """Reads the log files, then on each `poll()` only what was appended since; follows
    rotation (a renamed file keeps its identity, a new one is read from the start)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._offsets: dict[tuple[int, int], int] = {}

    def poll(self) -> list[LogRecordView]:
        found: list[LogRecordView] = []
        first = not self._offsets
        seen: set[tuple[int, int]] = set()
        for path in log_files(self.directory):
            try:
                with path.open("rb") as stream:
                    stat = os.fstat(stream.fileno())
                    key = (stat.st_dev, stat.st_ino)
                    seen.add(key)
                    offset = self._offsets.get(key, 0)
                    offset = 0 if stat.st_size < offset else offset
                    stream.seek(offset)
                    data = stream.read(stat.st_size - offset)
            except OSError:
                continue
            complete = data[: data.rfind(b"\n") + 1]
            self._offsets[key] = offset + len(complete)
            text = complete.decode("utf-8", errors="replace")
            found += [parse_line(line) for line in text.splitlines() if line.strip()]
        self._offsets = {k: v for k, v in self._offsets.items() if k in seen}
        return _by_time(found) if first else found


def _by_time(views: list[LogRecordView]) -> list[LogRecordView]:
    """Sorted by time; a line without one stays after the line before it."""
    keys, last = [], 0.0
    for view in views:
        last = view.ts.timestamp() if view.ts else last
        keys.append(last)
    return [v for _, v in sorted(zip(keys, views, strict=True), key=lambda pair: pair[0])]


def read_records(directory: Path, *, level: str | None = None,
                 since: dt.datetime | None = None, until: dt.datetime | None = None,
                 module: str | None = None, text: str | None = None,
                 limit: int = 5000) -> list[LogRecordView]:
    """The newest `limit` records of every log file that pass the filters, oldest first."""
    wanted = LogFilter(level, since, until, module, text)
    return [v for v in LogTail(directory).poll() if wanted.matches(v)][-limit:] if limit else []


def recent_lines(directory: Path, count: int = 200,
                 clean: Callable[[str], str] = redact) -> list[str]:
    """The last `count` records as text, redacted again (for reports IT receives)."""
    return [clean(v.as_text()) for v in read_records(directory, limit=count)]

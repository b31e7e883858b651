"""For IT: the diagnostics zip (H10.3) and the agent's security report (H1.14), both redacted."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import sys
import zipfile
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Config
from app.i18n_diagnostics import DIAGNOSTICS_TEXT
from app.logs import log_files, recent_lines, redact
from app.models.tables import Conflict
from app.services.runtime import Runtime
from app.settings import SETTINGS
from app.sync import outbox
from app.sync.apply import BAD_FEED_ROW

_PRIVATE_SETTINGS = ("last_account", "device_id", "window_geometry", "window_splitter")
"""Not secret, but personal or noise: reported as set / not set only."""


class _Clock(Protocol):
    def __call__(self) -> dt.datetime: ...


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _clean(value: Any) -> Any:
    """Every string inside a JSON-like value, redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def config_facts(config: Config) -> dict[str, Any]:
    """The settings in force with where each comes from, the policy file, the problems."""
    settings: dict[str, Any] = {}
    for setting in SETTINGS:
        value = config.get(setting.key)
        if setting.key in _PRIVATE_SETTINGS:
            value = "(set)" if value else "(empty)"
        settings[setting.key] = {"value": value, "source": config.source(setting.key),
                                 "locked": config.locked(setting.key)}
    return _clean({"policy_path": str(config.policy.path), "policy_exists": config.policy.exists,
                   "settings": settings, "problems": [str(p) for p in config.problems]})


def sync_facts(runtime: Runtime | None) -> dict[str, Any]:
    """Server, cursor, epoch, last status and the queue; the client id only as a hash."""
    if runtime is None:
        return {"signed_in": False}
    status = runtime.engine.status
    with runtime.store.read() as session:
        client = outbox.get_state(session, "client_id")
        cursor = outbox.get_state(session, "cursor")
        pending, rejected = outbox.pending_count(session), outbox.rejected_count(session)
        bad_rows = _bad_feed_rows(session)
    parts = cursor.split(":")  # the server's "<kind>:<epoch>:<xid>:<id>"
    return {
        "signed_in": True, "server_url": redact(runtime.signed_in.server_url),
        "cursor": cursor, "epoch": parts[1] if len(parts) >= 3 else "",
        "pending": pending, "rejected": rejected,
        "client_id_sha256": hashlib.sha256(client.encode()).hexdigest()[:16] if client else "",
        "status": {"state": status.state, "pending": status.pending,
                   "rejected": status.rejected, "last_sync_at": status.last_sync_at,
                   "offline_since": status.offline_since,
                   "last_error": redact(status.last_error or "")},
        "bad_feed_rows": bad_rows,
    }


_BAD_ROWS_LISTED = 20


def _bad_feed_rows(session: Session) -> dict[str, Any]:
    """Feed rows this desk set aside (unreadable or unstorable): how many, and for the newest
    which row and why. Never the row's data: it may hold a customer's message."""
    count = int(session.scalar(select(func.count()).select_from(Conflict)
                               .where(Conflict.kind == BAD_FEED_ROW)) or 0)
    newest = session.scalars(select(Conflict).where(Conflict.kind == BAD_FEED_ROW)
                             .order_by(Conflict.id.desc()).limit(_BAD_ROWS_LISTED))
    rows = [{"row": redact(row.entity_id), "at": row.created_at,
             "error": redact(_first_line(str((row.data or {}).get("error", ""))))}
            for row in newest]
    return {"count": count, "newest": rows}


def _first_line(error: str) -> str:
    """A database error's text goes on to quote the statement and its parameters."""
    return error.splitlines()[0].split(" [SQL:")[0].split(" [parameters:")[0][:200] if error else ""


_OUR_RECORD = '{"ts": "'
"""How app.logs' handler starts every line it writes (already redacted)."""


def _write_logs(archive: zipfile.ZipFile, log_dir: Path) -> None:
    for path in log_files(log_dir):
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        # Our JSON records were redacted when written; redacting them again cost 6.5 s for a
        # full log set (bench.personal_bench). Any other line (an older version's plain text,
        # a stray print) goes through the redactor here.
        archive.writestr(f"logs/{path.name}", "\n".join(
            line if line.startswith(_OUR_RECORD) else redact(line)
            for line in text.splitlines()) + "\n")


def _readme(key: str, **fields: str) -> str:
    zh, en = DIAGNOSTICS_TEXT[key]
    return f"{zh.format(**fields)}\n\n{en.format(**fields)}\n"


def export_diagnostics(target_zip: Path, *, log_dir: Path, config: Config,
                       runtime_or_none: Runtime | None, versions: dict[str, str],
                       screenshot_png: bytes | None, crash_dir: Path | None = None,
                       now: _Clock = _now) -> Path:
    """One zip for IT: logs, versions.json, config.json, sync.json, screenshot.png, the last
    crash reports and a README.txt in Chinese and English. Nothing secret goes in."""
    when = now()
    target_zip.parent.mkdir(parents=True, exist_ok=True)
    tmp = target_zip.with_name(target_zip.name + ".part")
    all_versions = {**versions, "python": sys.version.split()[0],
                    "os": platform.platform(), "machine": platform.machine()}
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme("diagnostics.readme", time=when.isoformat(
            timespec="seconds"), version=versions.get("app", "")))
        archive.writestr("versions.json", _json(_clean(all_versions)))
        archive.writestr("config.json", _json(config_facts(config)))
        archive.writestr("sync.json", _json(sync_facts(runtime_or_none)))
        _write_logs(archive, log_dir)
        if crash_dir is not None and crash_dir.is_dir():
            for report in sorted(crash_dir.glob("*/report.json"))[-5:]:
                text = report.read_text(encoding="utf-8", errors="replace")
                archive.writestr(f"crashes/{report.parent.name}/report.json", redact(text))
        if screenshot_png:
            archive.writestr("screenshot.png", screenshot_png)
    tmp.replace(target_zip)
    return target_zip


def security_report(target: Path, *, description: str, log_dir: Path,
                    screenshot_png: bytes | None, account: str, version: str = "",
                    lines: int = 200, now: _Clock = _now) -> Path:
    """H1.14: what the agent saw, when, on which account, a screenshot and the last `lines`
    log lines, in one zip the agent sends to IT. Private data in the text is masked."""
    when = now()
    target.parent.mkdir(parents=True, exist_ok=True)
    report = {"time": when.isoformat(timespec="seconds"), "account": account,
              "version": version, "description": redact(description),
              "os": platform.platform()}
    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme("security.readme", time=report["time"],
                                               account=account))
        archive.writestr("report.json", _json(report))
        archive.writestr("description.txt", report["description"] + "\n")
        archive.writestr("recent-log.txt", "\n".join(recent_lines(log_dir, lines)) + "\n")
        if screenshot_png:
            archive.writestr("screenshot.png", screenshot_png)
    tmp.replace(target)
    return target

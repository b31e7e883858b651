"""Local logs (H10.3): redacted JSON lines, rotation, reading back, viewer, diagnostics zip."""

from __future__ import annotations

import datetime as dt
import json
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.config import Config
from app.i18n import Tr
from app.logs import LogTail, read_records, redact, set_level, setup_logging
from app.models.store import Store, open_store
from app.policy import Policy
from app.services.diagnostics import export_diagnostics
from app.sync import outbox
from app.sync.apply import apply_page
from app.sync.engine import SyncStatus
from app.ui.log_viewer import LogViewer

PHONE = "13812345678"
DASHED = "139-8765-4321"
TOKEN = "tok_9f8E7d6C5b4A3f2E1d0C9b8A7f6E5d4C3b2A"  # 40 characters, like the server's
PASSWORD = "Kefu#Pass2024"
ID_NUMBER = "11010519491231002X"
SECRETS = {"phone": PHONE, "dashed phone": DASHED, "token": TOKEN, "password": PASSWORD,
           "id number": ID_NUMBER}

log = logging.getLogger("app.sync.engine")


@pytest.fixture()
def log_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "logs"
    handler = setup_logging(directory, "DEBUG")
    yield directory
    logging.getLogger().removeHandler(handler)
    handler.close()


def _plant_secrets() -> None:
    """The ways a secret could slip into a log line: args, f-strings, reprs, exceptions."""
    log.info("customer phone %s asked about the order", PHONE)
    log.warning(f"call back on {DASHED} tomorrow, id {ID_NUMBER}")
    log.info("login request password=%s token=%s", PASSWORD, TOKEN)
    log.debug("headers %s", {"Authorization": f"Bearer {TOKEN}"})
    log.debug("refresh body %s", {"refresh_token": TOKEN, "account": "10086@shop.example"})
    log.info("raw value %s in the middle", TOKEN)
    log.info("address 浙江省杭州市西湖区文三路100号 noted")
    try:
        raise RuntimeError(f"login refused: {{'password': '{PASSWORD}', 'phone': '{PHONE}'}}")
    except RuntimeError:
        log.exception("login failed for %s", "10086@shop.example")


def _files_with(directory: Path, needles: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            for name, needle in needles.items():
                if needle.encode() in data:
                    found.setdefault(name, []).append(path.name)
    return found


def test_no_secret_or_private_data_reaches_any_log_file(log_dir: Path) -> None:
    _plant_secrets()
    assert _files_with(log_dir, SECRETS) == {}
    text = (log_dir / "kefudesk.log").read_text(encoding="utf-8")
    # Control: the lines were written, only the secrets are gone.
    for words in ("asked about the order", "call back on", "login request", "in the middle",
                  "login failed for 10086@shop.example", "RuntimeError: login refused",
                  "[REDACTED:phone]", "[REDACTED:address]", "Bearer [REDACTED]"):
        assert words in text, words
    records = [json.loads(line) for line in text.splitlines()]
    assert {"ts", "level", "logger", "module", "thread", "message"} <= set(records[0])
    assert dt.datetime.fromisoformat(records[0]["ts"]).utcoffset() is not None
    assert records[-1]["level"] == "ERROR" and "Traceback" in records[-1]["exc"]


def test_the_redactor_masks_each_kind_and_keeps_ids_and_words() -> None:
    assert redact(f"+86 138 1234 5678 / {PHONE}") == "[REDACTED:phone] / [REDACTED:phone]"
    assert redact("card 6222 0212 3456 7890 123 ok") == "card [REDACTED:card] ok"
    assert redact("https://bob:s3cret@kefu.example/api") == "https://[REDACTED]@kefu.example/api"
    assert redact("Authorization: Basic Ym9iOnB3") == "Authorization: [REDACTED]"
    assert redact("密码：abc123 已改") == "密码：[REDACTED] 已改"
    kept = "conversation 123e4567-e89b-12d3-a456-426614174000 order DD123456789012 at 1700000000"
    assert redact(kept) == kept
    assert redact("test_the_code_keeps_its_architecture_in_shape") == \
        "test_the_code_keeps_its_architecture_in_shape"


def test_a_shared_computer_session_log_is_redacted_too(tmp_path: Path) -> None:
    from app.main import setup_logging as main_setup
    from app.services.session_rules import SessionLog, wipe_session_logs

    directory = tmp_path / "logs"
    main_setup(directory, "INFO", shared=True)
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h, SessionLog))
    try:
        _plant_secrets()
        files = list(directory.glob("session-*.log"))
        assert len(files) == 1 and "asked about the order" in files[0].read_text("utf-8")
        assert _files_with(directory, SECRETS) == {}
        assert wipe_session_logs() == [] and not list(directory.glob("session-*.log"))
    finally:
        root.removeHandler(handler)
        handler.close()


def test_rotation_keeps_the_newest_files_and_reading_spans_them(tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    handler = setup_logging(directory, "INFO", max_bytes=2_000, backups=3)
    try:
        tail = LogTail(directory)
        assert tail.poll() == []
        for n in range(200):
            log.info("line %04d of the rotation test", n)
        names = sorted(p.name for p in directory.iterdir())
        assert names == ["kefudesk.log", "kefudesk.log.1", "kefudesk.log.2", "kefudesk.log.3"]
        numbers = [int(r.message.split()[1]) for r in read_records(directory)]
        assert numbers == list(range(numbers[0], 200)) and numbers[0] > 0  # oldest dropped
        followed = [int(r.message.split()[1]) for r in tail.poll()]
        assert followed[-1] == 199 and len(followed) == len(set(followed))
        log.info("line 0200 after a rotation")
        assert [r.message for r in tail.poll()] == ["line 0200 after a rotation"]
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def _line(ts: str, level: str, logger: str, message: str) -> str:
    return json.dumps({"ts": ts, "level": level, "logger": logger, "module": "m",
                       "thread": "MainThread", "message": message}, ensure_ascii=False)


def test_read_records_filters_by_level_time_module_and_text(tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    (directory / "kefudesk.log.1").write_text("\n".join([
        "2024-04-30 08:00:00,000 INFO app.old: a line of the old plain format",
        _line("2024-05-01T09:00:00.000+08:00", "DEBUG", "app.sync.engine", "pull page 1"),
    ]) + "\n", encoding="utf-8")
    (directory / "kefudesk.log").write_text("\n".join([
        _line("2024-05-01T10:00:00.000+08:00", "WARNING", "app.sync.client", "slow server"),
        "not json at all",
        _line("2024-05-01T11:00:00.000+08:00", "ERROR", "app.ui.chat_panel", "Send failed"),
    ]) + "\n", encoding="utf-8")
    everything = read_records(directory)
    assert [r.message for r in everything] == [
        "a line of the old plain format", "pull page 1", "slow server", "not json at all",
        "Send failed"]  # in time order; a line without a time stays where it was

    def messages(**filters: object) -> list[str]:
        return [r.message for r in read_records(directory, **filters)]  # type: ignore[arg-type]

    assert messages(level="WARNING") == ["slow server", "Send failed"]
    tz = dt.timezone(dt.timedelta(hours=8))
    assert messages(since=dt.datetime(2024, 5, 1, 9, 30, tzinfo=tz),
                    until=dt.datetime(2024, 5, 1, 10, 30, tzinfo=tz)) == ["slow server"]
    assert messages(module="sync") == ["pull page 1", "slow server"]
    assert messages(text="SEND") == ["Send failed"]
    assert messages(limit=2) == ["not json at all", "Send failed"]


def test_the_level_changes_while_running(log_dir: Path) -> None:
    set_level("WARNING")
    log.info("hidden info line")
    log.warning("shown warning line")
    set_level("DEBUG")
    log.debug("shown debug line")
    text = (log_dir / "kefudesk.log").read_text(encoding="utf-8")
    assert "hidden info line" not in text
    assert "shown warning line" in text and "shown debug line" in text


def test_the_viewer_follows_filters_and_copies(qtbot: QtBot, qtmodeltester: object,
                                               log_dir: Path) -> None:
    log.info("before the viewer opened")
    log.warning("a warning before")
    viewer = LogViewer(log_dir, Tr("zh"), None, poll_ms=20)
    qtbot.addWidget(viewer)
    viewer.show()
    model = viewer.model
    assert [r.message for r in model.records] == ["before the viewer opened", "a warning before"]
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    log.error("logged after opening")
    qtbot.waitUntil(lambda: any(r.message == "logged after opening" for r in model.records))
    viewer.level.setCurrentIndex(viewer.level.findData("WARNING"))
    assert [r.message for r in model.records] == ["a warning before", "logged after opening"]
    viewer.copy_all.click()
    copied = QApplication.clipboard().text().splitlines()
    assert len(copied) == 2 and copied[1].endswith("ERROR app.sync.engine: logged after opening")
    viewer.level.setCurrentIndex(0)
    viewer.text.setText("BEFORE")
    assert [r.message for r in model.records] == ["before the viewer opened", "a warning before"]
    viewer.view.selectRow(1)
    viewer.copy_selected.click()
    assert QApplication.clipboard().text().endswith("WARNING app.sync.engine: a warning before")
    viewer.text.clear()
    viewer.module.setText("no.such.module")
    assert model.rowCount() == 0
    qtmodeltester.check(model)  # type: ignore[attr-defined]


@dataclass
class _Engine:
    status: SyncStatus


@dataclass
class _SignedIn:
    server_url: str


@dataclass
class _Runtime:  # the parts of app.services.runtime.Runtime the export reads
    signed_in: _SignedIn
    store: Store
    engine: _Engine


def test_the_diagnostics_zip_holds_what_it_needs_and_no_secret(tmp_path: Path,
                                                                log_dir: Path) -> None:
    _plant_secrets()
    # An older version's unredacted plain-text log: the export redacts it again.
    (log_dir / "kefudesk.log.5").write_text(
        f"2024-05-01 08:00:00,000 INFO app.sync.auth: refresh token={TOKEN} for {PHONE}\n",
        encoding="utf-8")
    store = open_store(tmp_path / "cache.db")
    with store.write() as session:
        for n in range(3):
            outbox.enqueue(session, "message.send", {"id": f"m{n}", "text": "稍等"})
        outbox.set_state(session, "cursor", "sq:ep0ch:0:42")
        client = outbox.client_id(session)
        # A row from a newer server, set aside: IT sees which and why, never its text.
        apply_page(session, [], client_id=client, unreadable=[{
            "change": {"entity": "message", "op": "merge", "id": "m-new",
                       "data": {"text": f"回电 {PHONE}"}},
            "error": "op: Input should be 'upsert', 'delete', 'ack' or 'notice'"}])
    runtime = _Runtime(_SignedIn("https://kefu.example"), store,
                       _Engine(SyncStatus(state="online", pending=3)))
    policy = Policy(tmp_path / "deploy.toml", values={"idle_timeout_min": 15}, exists=True)
    config = Config(tmp_path / "settings.json", policy)
    config.set("last_account", "10086@shop.example")
    crash = tmp_path / "crashes" / "20240501-080000-000000"
    crash.mkdir(parents=True)
    (crash / "report.json").write_text(json.dumps({"traceback": f"phone {PHONE}"}), "utf-8")
    png = b"\x89PNG\r\n\x1a\n-fake-"
    try:
        target = export_diagnostics(tmp_path / "out" / "diag.zip", log_dir=log_dir,
                                    config=config, runtime_or_none=runtime,  # type: ignore[arg-type]
                                    versions={"app": "1.2.3", "qt": "6.x"}, screenshot_png=png,
                                    crash_dir=tmp_path / "crashes")
    finally:
        store.close()
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        members = {name: archive.read(name) for name in names}
    assert {"README.txt", "versions.json", "config.json", "sync.json", "screenshot.png",
            "logs/kefudesk.log", "logs/kefudesk.log.5",
            "crashes/20240501-080000-000000/report.json"} <= names
    leaks = {(name, secret) for name, data in members.items()
             for secret, value in {**SECRETS, "client id": client,
                                   "account": "10086@shop.example"}.items()
             if value.encode() in data and not name.startswith("logs/")}
    leaks |= {(name, secret) for name, data in members.items() if name.startswith("logs/")
              for secret, value in SECRETS.items() if value.encode() in data}
    assert leaks == set()
    assert b"asked about the order" in members["logs/kefudesk.log"]  # control: logs are in
    assert b"refresh token=[REDACTED]" in members["logs/kefudesk.log.5"]
    sync = json.loads(members["sync.json"])
    assert (sync["pending"], sync["rejected"], sync["epoch"]) == (3, 0, "ep0ch")
    assert sync["server_url"] == "https://kefu.example" and sync["status"]["state"] == "online"
    assert sync["bad_feed_rows"]["count"] == 1
    assert [(r["row"], r["error"]) for r in sync["bad_feed_rows"]["newest"]] == [
        ("message:m-new", "op: Input should be 'upsert', 'delete', 'ack' or 'notice'")]
    settings = json.loads(members["config.json"])
    assert settings["policy_path"] == str(tmp_path / "deploy.toml")
    assert settings["settings"]["idle_timeout_min"] == {"value": 15, "source": "policy",
                                                        "locked": True}
    assert settings["settings"]["last_account"]["value"] == "(set)"
    versions = json.loads(members["versions.json"])
    assert versions["app"] == "1.2.3" and versions["python"] and versions["os"]
    readme = members["README.txt"].decode()
    assert "诊断" in readme and "diagnostics" in readme and "1.2.3" in readme
    assert members["screenshot.png"] == png

"""Crash handling (H1.13) and the security report (H1.14), with a deliberately raised error."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from app.config import Config
from app.i18n import Tr
from app.logs import setup_logging
from app.models.store import open_store
from app.policy import Policy
from app.sync import outbox
from app.ui.crash import CrashHandler, grab_png, install_crash_hook, loop_exception_handler
from app.ui.security_report import SecurityReportDialog, export_diagnostics_ui

PHONE = "13812345678"
TOKEN = "tok_9f8E7d6C5b4A3f2E1d0C9b8A7f6E5d4C3b2A"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def log_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "logs"
    handler = setup_logging(directory, "INFO")
    yield directory
    logging.getLogger().removeHandler(handler)
    handler.close()


class BrokenWindow(QMainWindow):
    """A window whose slot fails, as a bug in a real view would."""

    def __init__(self) -> None:
        super().__init__()
        self.setCentralWidget(QLabel("客服台测试窗口"))
        self.resize(320, 200)

    def broken_slot(self) -> None:
        raise RuntimeError(f"lookup failed for {PHONE} with token {TOKEN}")


def _crash_dialog() -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == "crashDialog"
                 and w.isVisible()), None)


def _button(box: QMessageBox, text: str) -> QPushButton:
    return next(b for b in box.findChildren(QPushButton) if b.text() == text)


@pytest.fixture()
def window(qtbot: QtBot) -> BrokenWindow:
    w = BrokenWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture()
def restarts(tmp_path: Path, window: BrokenWindow) -> Iterator[tuple[CrashHandler, list[int]]]:
    calls: list[int] = []
    handler = install_crash_hook(Tr("zh"), data_dir=tmp_path, window_getter=lambda: window,
                                 restart=lambda: calls.append(1))
    yield handler, calls
    handler.uninstall()
    box = _crash_dialog()
    if box is not None:
        box.close()


def test_an_error_in_a_slot_is_reported_calmly_and_the_outbox_survives(
    qtbot: QtBot, tmp_path: Path, log_dir: Path, window: BrokenWindow,
    restarts: tuple[CrashHandler, list[int]]
) -> None:
    handler, calls = restarts
    store = open_store(tmp_path / "profile" / "cache.db")
    with store.write() as session:
        queued = [outbox.enqueue(session, "message.send", {"id": f"m{n}", "text": f"回复{n}"})
                  for n in range(3)]
    QTimer.singleShot(0, window.broken_slot)
    qtbot.waitUntil(lambda: _crash_dialog() is not None)
    box = _crash_dialog()
    assert box is not None
    shown = " ".join([box.text(), box.informativeText(), box.windowTitle(),
                      *(b.text() for b in box.findChildren(QPushButton))])
    assert "意外问题" in shown and "未发送的消息已保存" in shown
    for hidden in ("Traceback", "RuntimeError", "lookup failed", "broken_slot", PHONE):
        assert hidden not in shown, hidden
    [folder] = handler.reports
    assert folder.parent == tmp_path / "crashes"
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["exception_type"] == "builtins.RuntimeError" and report["time"]
    assert "broken_slot" in report["traceback"] and "lookup failed" in report["traceback"]
    assert PHONE not in report["traceback"] and TOKEN not in report["traceback"]
    assert (folder / "screenshot.png").read_bytes().startswith(PNG)
    logged = (log_dir / "kefudesk.log").read_text(encoding="utf-8")
    assert "unexpected error" in logged and "broken_slot" in logged and PHONE not in logged
    # A burst of errors: each is recorded, the one dialog stays.
    for _ in range(3):
        QTimer.singleShot(0, window.broken_slot)
    qtbot.waitUntil(lambda: len(handler.reports) == 4)
    assert [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)
            and w.objectName() == "crashDialog" and w.isVisible()] == [box]
    _button(box, "重新启动").click()
    assert calls == [1]
    qtbot.waitUntil(lambda: _crash_dialog() is None)
    store.close()
    reopened = open_store(tmp_path / "profile" / "cache.db")
    try:
        with reopened.read() as session:
            assert outbox.pending_count(session) == 3
            assert [p.seq for p in outbox.next_batch(session)] == queued
            assert [p.args["text"] for p in outbox.next_batch(session)] == ["回复0", "回复1",
                                                                            "回复2"]
    finally:
        reopened.close()


def test_continue_keeps_working_and_a_failing_screenshot_does_not_recurse(
    qtbot: QtBot, tmp_path: Path, log_dir: Path, window: BrokenWindow
) -> None:
    grabs: list[int] = []

    def broken_getter() -> QMainWindow:
        grabs.append(1)
        raise RuntimeError("the screenshot itself fails")

    calls: list[int] = []
    handler = install_crash_hook(Tr("zh"), data_dir=tmp_path, window_getter=broken_getter,
                                 restart=lambda: calls.append(1))
    try:
        QTimer.singleShot(0, window.broken_slot)
        qtbot.waitUntil(lambda: _crash_dialog() is not None)
        box = _crash_dialog()
        assert box is not None and grabs == [1] and len(handler.reports) == 1
        assert not (handler.reports[0] / "screenshot.png").exists()
        _button(box, "继续使用").click()
        qtbot.waitUntil(lambda: _crash_dialog() is None)
        assert calls == [] and window.isVisible()
        logged = (log_dir / "kefudesk.log").read_text(encoding="utf-8")
        assert "the screenshot itself fails" in logged
    finally:
        handler.uninstall()


def test_errors_of_threads_and_asyncio_tasks_reach_the_handler(
    qtbot: QtBot, tmp_path: Path, window: BrokenWindow, restarts: tuple[CrashHandler, list[int]]
) -> None:
    handler, _ = restarts

    def worker() -> None:
        raise ValueError("a worker thread failed")

    thread = threading.Thread(target=worker, name="kefu-test-worker")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: _crash_dialog() is not None)  # queued to the Qt thread
    report = json.loads((handler.reports[0] / "report.json").read_text(encoding="utf-8"))
    assert report["thread"] == "kefu-test-worker"
    assert report["exception_type"] == "builtins.ValueError"
    loop = asyncio.new_event_loop()
    try:
        loop_exception_handler(loop, {"message": "Task exception was never retrieved",
                                      "exception": KeyError("task failed")})
        loop_exception_handler(loop, {"message": "just a loop message"})  # default handler
    finally:
        loop.close()
    assert len(handler.reports) == 2 and sys.excepthook == handler.excepthook
    assert "KeyError" in (handler.reports[1] / "report.json").read_text(encoding="utf-8")


def test_grab_png_returns_a_png_of_the_window(window: BrokenWindow) -> None:
    assert grab_png(window).startswith(PNG)
    assert grab_png(None) == b""


def test_the_security_report_holds_description_recent_lines_and_screenshot(
    qtbot: QtBot, tmp_path: Path, log_dir: Path, window: BrokenWindow
) -> None:
    log = logging.getLogger("app.services.auth")
    for n in range(250):
        log.info("routine line %03d", n)
    log.warning("permission change seen for %s token=%s", PHONE, TOKEN)
    dialog = SecurityReportDialog(Tr("zh"), log_dir=log_dir, data_dir=tmp_path,
                                  account="10086@shop.example", screenshot_png=grab_png(window))
    qtbot.addWidget(dialog)
    dialog.show()
    assert "10086@shop.example" in dialog.includes.text() and "200" in dialog.includes.text()
    dialog.save_button.click()
    assert dialog.saved is None and dialog.status.text() == "请先描述发生了什么。"
    dialog.description.setPlainText(f"14:20 有人用我的账号转走了会话，客户电话 {PHONE}")
    dialog.save_button.click()
    saved = dialog.saved
    assert saved is not None and saved.parent == tmp_path / "security-reports"
    assert str(saved) in dialog.status.text() and dialog.copy_path.isVisibleTo(dialog)
    dialog.copy_path.click()
    assert QApplication.clipboard().text() == str(saved)
    with zipfile.ZipFile(saved) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert {"README.txt", "report.json", "description.txt", "recent-log.txt",
            "screenshot.png"} <= set(members)
    assert "有人用我的账号转走了会话" in members["description.txt"].decode()
    recent = members["recent-log.txt"].decode().splitlines()
    assert len(recent) == 200 and recent[-1].endswith("token=[REDACTED]")
    assert "permission change seen" in recent[-1] and "routine line 249" in recent[-2]
    assert not any("routine line 050" in line for line in recent)  # only the last 200
    report = json.loads(members["report.json"])
    assert report["account"] == "10086@shop.example" and report["time"]
    assert not [name for name, data in members.items()
                if PHONE.encode() in data or TOKEN.encode() in data]


def test_export_diagnostics_ui_saves_on_a_worker_and_says_where(
    qtbot: QtBot, tmp_path: Path, log_dir: Path, window: BrokenWindow
) -> None:
    logging.getLogger("app.ui").info("before the export")
    ran_on: list[str] = []

    async def in_worker(job):  # type: ignore[no-untyped-def]
        def tracked():  # type: ignore[no-untyped-def]
            ran_on.append(threading.current_thread().name)
            return job()
        return await asyncio.get_running_loop().run_in_executor(None, tracked)

    config = Config(tmp_path / "settings.json", Policy(tmp_path / "deploy.toml"))
    target = tmp_path / "KefuDesk-诊断.zip"
    loop = asyncio.new_event_loop()
    try:
        saved = loop.run_until_complete(export_diagnostics_ui(
            window, Tr("zh"), log_dir=log_dir, config=config, runtime=None,
            versions={"app": "9.9.9"}, screenshot_png=grab_png(window),
            run_in_worker=in_worker, target=target))
    finally:
        loop.close()
    assert saved == target and ran_on and ran_on[0] != threading.current_thread().name
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.objectName() == "diagnosticsResult")
    assert str(target) in box.text()
    box.close()
    with zipfile.ZipFile(target) as archive:
        assert json.loads(archive.read("sync.json")) == {"signed_in": False}
        assert archive.read("screenshot.png").startswith(PNG)
        assert b"before the export" in archive.read("logs/kefudesk.log")

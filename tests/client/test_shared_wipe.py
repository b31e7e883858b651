"""Shared computer (H1.8): exit leaves no token, customer name or phone in any file or keyring.

The main test re-runs this module under `dbus-run-session` with a real gnome-keyring:

    python -m tests.client.test_shared_wipe URL ACCOUNT PASSWORD DATA_ROOT NICKNAME PHONE MASKED
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.policy import Policy
from app.services.credentials import CACHE_SERVICE, SERVICE
from server import models as m
from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, dialog_button, run, until
from tests.support.secret_service import require_secret_service, run_in_keyring_session
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

CHILD_OK = "SHARED-WIPE-OK"
OLD_SERVER = "https://old-kefu.example"
STALE_TOKEN = "stale-remembered-token-0123456789"


def files_containing(root: Path, needles: dict[str, bytes]) -> dict[str, list[str]]:
    """needle name -> the files (relative to `root`) whose bytes contain it."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            for name, needle in needles.items():
                if needle in data:
                    found.setdefault(name, []).append(str(path.relative_to(root)))
    return found


def _customer_with_phone(world: World, company: CompanyRef, nickname: str,
                         phone: str) -> str:
    """A customer of the team with a phone number and an order; returns the order number."""
    customer_id, order_no = str(uuid.uuid4()), f"DD{uuid.uuid4().int % 10**12:012d}"
    with world.db.write() as session:
        session.add(m.Customer(id=customer_id, company_id=company.id, team_id=company.team_id,
                               nickname=nickname, phone=phone,
                               address="浙江省杭州市西湖区文三路100号"))
        session.flush()
        session.add(m.Order(id=str(uuid.uuid4()), company_id=company.id,
                            team_id=company.team_id, order_no=order_no,
                            customer_id=customer_id, status="已付款", total_cents=19900,
                            lines=[], history=[]))
    return order_no


def _shared_policy(root: Path) -> Policy:
    return Policy(root / "deploy.toml", values={"shared_computer": True}, exists=True)


def test_shared_desk_exit_leaves_no_trace_in_files_or_the_keyring(
    ui_server: ServerProcess, ui_world: World, tmp_path: Path
) -> None:
    require_secret_service()
    company = ui_world.company()
    agent = ui_world.agent(company, name="公用机客服")
    nickname, phone = f"共享机顾客{uuid.uuid4().hex[:4]}", f"139{uuid.uuid4().int % 10**8:08d}"
    order_no = _customer_with_phone(ui_world, company, nickname, phone)
    visitor = VisitorClient(ui_server.url, nickname, company=company.domain, order_no=order_no)
    assert visitor.send(f"我的电话是 {phone}，订单 {order_no} 还没发货").status_code == 200
    masked = f"{phone[:3]}****{phone[-4:]}"
    result = run_in_keyring_session(
        "tests.client.test_shared_wipe",
        [ui_server.url, agent.account, PASSWORD, str(tmp_path / "data"), nickname, phone,
         masked], tmp_path / "home")
    assert CHILD_OK in result.stdout, result.stdout + result.stderr
    with ui_world.db.read() as session:
        open_sessions = session.scalar(select(func.count()).select_from(m.AuthSession).where(
            m.AuthSession.agent_id == agent.id, m.AuthSession.revoked_at.is_(None)))
        presence = session.get(m.Agent, agent.id).presence  # type: ignore[union-attr]
    assert open_sessions == 0, "exit on a shared desk revokes the session on the server"
    assert presence == "offline"
    replies = [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"]
    assert replies == ["已登记，今天安排发货"]


def _secret_tool_entries(service: str = SERVICE) -> str:
    found = subprocess.run(["secret-tool", "search", "--all", "service", service],
                           capture_output=True, text=True, timeout=30)
    return found.stdout + found.stderr


def child(url: str, account: str, password: str, data_root: str, nickname: str, phone: str,
          masked: str) -> int:
    """Inside the D-Bus session: log in on a shared desk, work, exit, then look everywhere."""
    import keyring

    from app.main import setup_logging

    root = Path(data_root)
    setup_logging(root / "logs", "DEBUG", shared=True)
    backend = keyring.get_keyring()
    print(f"backend: {type(backend).__module__}.{type(backend).__name__}")
    qt_app = QApplication.instance() or QApplication([])
    QApplication.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qt_app, already_running=False)
    asyncio.set_event_loop(loop)
    app = App(url, root, keyring_backend=backend, policy=_shared_policy(root))
    ended: list[str] = []
    app.flow.session_ended.connect(ended.append)

    async def scenario() -> dict[str, bytes]:
        window = await app.sign_in(account, password)
        runtime = app.flow.runtime
        assert runtime is not None
        # Tokens remembered before IT made this a shared desk (this server and the old one):
        # the wipe must find and take them too.
        for server in (url, OLD_SERVER):
            backend.set_password(SERVICE, f"{server}|{account}", STALE_TOKEN)
        await until(lambda: window.list_model.rowCount() == 1)
        window.list_view.setCurrentIndex(window.list_model.index(0))
        await until(lambda: window.chat_panel.title.text() == nickname)
        window.chat_panel.composer.setPlainText("已登记，今天安排发货")
        window.chat_panel.send_button.click()
        await until(lambda: [r.delivery for r in runtime.chat.messages(window.current or "")
                             if r.sender == "agent"] == ["sent"])
        logging.getLogger("app.sync.engine").error("simulated failure for %s (%s)", nickname,
                                                   phone)  # as an exception might carry it
        needles = {"nickname": nickname.encode(), "phone": phone.encode(),
                   "masked phone": masked.encode(), "account": account.encode(),
                   "access token": runtime.keeper.access_token.encode(),
                   "refresh token": runtime.keeper.refresh_token.encode(),
                   "stale token": STALE_TOKEN.encode(), "password": password.encode()}
        before = files_containing(root, needles)
        # Negative control: while the session is open the scan finds what the wipe must take
        # (the cache is encrypted, H11.3: its key is in the keyring, no name is in its bytes).
        assert runtime.store.path.exists() and runtime.store.encrypted
        assert not any(f.startswith("profiles") for f in before.get("nickname", [])), before
        assert any(f.startswith("logs") for f in before["nickname"]), before
        assert not any(f.startswith("logs") for f in before.get("phone", [])), "logs redact"
        assert not {"access token", "refresh token", "password", "stale token"} & set(before)
        assert _secret_tool_entries().count(account) >= 2, "the keyring control is missing"
        assert account in _secret_tool_entries(CACHE_SERVICE), "the cache key is missing"
        window.close()  # 退出 on a shared desk: flush, wipe, then the window closes
        await until(lambda: ended == ["exit"], timeout=30)
        assert not window.isVisible() and app.flow.runtime is None
        return needles

    try:
        needles = loop.run_until_complete(asyncio.wait_for(scenario(), 120))
        after = files_containing(root, needles)
        assert not after, f"left behind after the wipe: {after}"
        profiles = root / "profiles"
        assert not profiles.exists() or not any(profiles.iterdir()), list(profiles.iterdir())
        for server in (url, OLD_SERVER):
            assert backend.get_password(SERVICE, f"{server}|{account}") is None
        entries = _secret_tool_entries()
        assert account not in entries and "KefuDesk" not in entries, entries
        assert account not in _secret_tool_entries(CACHE_SERVICE), "the cache key stayed"
    finally:
        app.close()
        loop.close()
    print(CHILD_OK)
    return 0


@pytest.fixture()
def shared_app(ui_server: ServerProcess, tmp_path: Path) -> Iterator[App]:
    a = App(ui_server.url, tmp_path, policy=_shared_policy(tmp_path))
    a.flow.wait_more_s = 0.5
    yield a
    a.close()


def test_unsent_replies_on_a_shared_desk_are_put_to_the_agent(
    qtbot: QtBot, aloop: qasync.QEventLoop, shared_app: App, ui_server: ServerProcess,
    ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    VisitorClient(ui_server.url, "断网公用机顾客", company=company.domain).send("你好")
    flow = shared_app.flow
    ended: list[str] = []
    flow.session_ended.connect(ended.append)
    QApplication.setQuitOnLastWindowClosed(False)

    async def scenario() -> None:
        window = await shared_app.sign_in(agent.account, PASSWORD)
        runtime = flow.runtime
        assert runtime is not None
        profile = runtime.store.path.parent
        await until(lambda: window.list_model.rowCount() == 1)
        window.list_view.setCurrentIndex(window.list_model.index(0))
        await until(lambda: window.current is not None)
        ui_server.stop()
        try:
            window.chat_panel.composer.setPlainText("网络断了，这条发不出去")
            window.chat_panel.send_button.click()
            await until(lambda: window.chat_panel.composer.toPlainText() == "")
            window.close()
            keep = await until(lambda: dialog_button("继续工作"), timeout=30)
            box = keep.window()
            assert isinstance(box, QMessageBox) and "还有" in box.text() and "未发送" in box.text()
            keep.click()  # 继续工作: nothing is lost, the desk stays signed in
            await until(lambda: not box.isVisible())
            await _settle()
            assert window.isVisible() and flow.runtime is runtime and profile.exists()
            window.close()
            (await until(lambda: dialog_button("等待"), timeout=30)).click()
            discard = await until(lambda: dialog_button("仍然退出"), timeout=30)  # asked again
            discard.click()
            await until(lambda: ended == ["exit"], timeout=30)
            assert not profile.exists(), "the agent chose: the cache is wiped"
            assert not window.isVisible() and flow.runtime is None
        finally:
            ui_server.start()

    try:
        run(aloop, scenario(), timeout=120)
    finally:
        QApplication.setQuitOnLastWindowClosed(True)


async def _settle() -> None:
    await asyncio.sleep(0.3)


if __name__ == "__main__":
    raise SystemExit(child(*sys.argv[1:8]))

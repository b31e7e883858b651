"""Secrets on disk (issue 9, H1.2, H11.3): an ordinary desk's data dir, logs, settings and home
hold no password, no token and none of a customer's personal data — while signed in and
working, after 注销, and after quitting.

The test re-runs this module under `dbus-run-session` with a real gnome-keyring:

    python -m tests.client.test_secrets_on_disk URL ACCOUNT PASSWORD DATA_ROOT NICKNAME PHONE
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from app.main import setup_logging
from tests.support.api import VisitorClient
from tests.support.qt_async import App, until
from tests.support.secret_service import require_secret_service, run_in_keyring_session
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CHILD_OK = "SECRETS-ON-DISK-OK"
ID_NUMBER = "110101199003074514"
ADDRESS = "浙江省杭州市西湖区文三路100号"
REPLY = "已登记，今天安排发货"


def files_containing(roots: list[Path], needles: dict[str, bytes]) -> dict[str, list[str]]:
    """needle name -> the files under `roots` whose bytes contain it."""
    found: dict[str, list[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                for name, needle in needles.items():
                    if needle in data:
                        found.setdefault(name, []).append(str(path))
    return found


def test_no_secret_or_customer_data_in_any_file_of_an_ordinary_desk(
    ui_server: ServerProcess, ui_world: World, tmp_path: Path
) -> None:
    require_secret_service()
    company = ui_world.company()
    agent = ui_world.agent(company, name="落盘检查客服")
    nickname, phone = f"隐私顾客{uuid.uuid4().hex[:4]}", f"139{uuid.uuid4().int % 10**8:08d}"
    visitor = VisitorClient(ui_server.url, nickname, company=company.domain)
    assert visitor.send(f"电话 {phone}，身份证 {ID_NUMBER}，地址 {ADDRESS}").status_code == 200
    result = run_in_keyring_session(
        "tests.client.test_secrets_on_disk",
        [ui_server.url, agent.account, PASSWORD, str(tmp_path / "data"), nickname, phone],
        tmp_path / "home", timeout=240)
    assert CHILD_OK in result.stdout, result.stdout + result.stderr
    assert [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"] \
        == [REPLY], "the work the scan followed really happened"


def child(url: str, account: str, password: str, data_root: str, nickname: str,
          phone: str) -> int:
    """Inside the D-Bus session: sign in remembering the token, work, scan; 注销, scan; sign in
    again and quit, scan. Every scan covers the data dir and the whole home directory."""
    import keyring

    root = Path(data_root)
    roots = [root, Path(os.environ["HOME"])]
    setup_logging(root / "logs", "DEBUG")
    backend = keyring.get_keyring()
    qt_app = QApplication.instance() or QApplication([])
    QApplication.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qt_app, already_running=False)
    asyncio.set_event_loop(loop)
    app = App(url, root, keyring_backend=backend)
    ended: list[str] = []
    app.flow.session_ended.connect(ended.append)
    scans: dict[str, dict[str, list[str]]] = {}
    pii = {"nickname": nickname.encode(), "phone": phone.encode(), "id": ID_NUMBER.encode(),
           "address": ADDRESS.encode(), "reply": REPLY.encode(), "password": password.encode()}

    async def sign_in(remember: bool) -> object:
        app.flow.start()
        app.flow.login.fill(account, password)
        app.flow.login.remember.setChecked(remember)
        app.flow.login.submit.click()
        return await until(lambda: app.flow.main_window)

    async def scenario() -> None:
        window = await sign_in(remember=True)
        runtime = app.flow.runtime
        assert runtime is not None
        assert backend.get_password("KefuDesk", f"{url}|{account}"), "auto-login not stored"
        await until(lambda: window.list_model.rowCount() == 1)  # type: ignore[attr-defined]
        window.list_view.setCurrentIndex(window.list_model.index(0))  # type: ignore[attr-defined]
        await until(lambda: window.chat_panel.title.text() == nickname)  # type: ignore[attr-defined]
        window.chat_panel.composer.setPlainText(REPLY)  # type: ignore[attr-defined]
        window.chat_panel.send_button.click()  # type: ignore[attr-defined]
        await until(lambda: runtime.engine.status.pending == 0 and runtime.chat.messages(
            window.current or "")[-1].delivery == "sent")  # type: ignore[attr-defined]
        tokens = {"access token": runtime.keeper.access_token.encode(),
                  "refresh token": runtime.keeper.refresh_token.encode()}
        scans["working"] = files_containing(roots, {**pii, **tokens})
        # Control: the scan does read the cache and the logs (the account is not a secret).
        control = files_containing(roots, {"account": account.encode()})["account"]
        assert any("logs" in p for p in control), control
        await app.flow.logout()
        await until(lambda: ended == ["logout"], timeout=30)
        assert backend.get_password("KefuDesk", f"{url}|{account}") is None
        scans["after 注销"] = files_containing(roots, {**pii, **tokens})
        await sign_in(remember=False)
        second = app.flow.runtime
        assert second is not None
        tokens.update({"second access token": second.keeper.access_token.encode(),
                       "second refresh token": second.keeper.refresh_token.encode()})
        app.close()
        scans["after quitting"] = files_containing(roots, {**pii, **tokens})

    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 180))
    finally:
        loop.close()
    written = sorted(str(p) for p in root.rglob("*") if p.is_file())
    assert any("cache" in p for p in written) and any("log" in p for p in written), written
    leaks = {stage: hits for stage, hits in scans.items() if hits}
    assert not leaks, f"found on disk: {leaks}"
    print(CHILD_OK)
    return 0


if __name__ == "__main__":
    raise SystemExit(child(*sys.argv[1:7]))

"""Running qasync coroutines inside pytest-qt tests, and building the app's session flow."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from app.config import Config
from app.i18n import Tr
from app.policy import Policy
from app.services.auth import AuthService
from app.services.credentials import CredentialVault
from app.ui.session_flow import SessionFlow
from app.ui.theme import LIGHT
from app.workers import Workers
from tests.support.client_side import MemoryKeyring


@pytest.fixture()
def aloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(asyncio.sleep(0.2))  # let finishing slots end before closing
    loop.close()
    asyncio.set_event_loop(None)


def run(loop: qasync.QEventLoop, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Yields to the Qt + asyncio loop until `check()` is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"not reached within {timeout}s: {check}")
        await asyncio.sleep(0.03)


async def settled(window: Any, timeout: float = 5.0) -> None:
    """Nothing queued or on its way and the window quiet for a few turns of the loop, so no
    slot (a read mark, a refresh) is still running when the window closes. A test that left
    the desk offline with queued intents just waits out `timeout`."""
    quiet: list[bool] = []

    def calm() -> bool:
        model = window.chat_panel.model
        idle = window.runtime.engine.status.pending == 0 and not any(
            model.row_at(i).delivery == "sending" for i in range(model.rowCount()))
        quiet.append(idle)
        return len(quiet) >= 5 and all(quiet[-5:])

    with contextlib.suppress(AssertionError):
        await until(calm, timeout=timeout)


def close_app(app: App, loop: qasync.QEventLoop) -> None:
    """Closes `app` while its event loop still exists (fixtures that close after the loop is
    gone leave a late read mark or refresh without a loop)."""
    window = app.flow.main_window
    if window is not None and not window.closed and window.runtime is not None:
        run(loop, settled(window))
    app.close()


class App:
    """The app's windows and services for one test, without build_application's globals."""

    def __init__(self, server_url: str, data_root: Path, *, keyring_backend: Any = None,
                 language: str = "zh", policy: Policy | None = None) -> None:
        self.vault = CredentialVault(keyring_backend or MemoryKeyring())
        self.auth = AuthService(server_url, ca_bundle=None, vault=self.vault, device_id="ui")
        self.workers = Workers()
        self.config = Config(data_root / "settings.json",
                             policy or Policy(data_root / "no-deploy.toml"))
        self.flow = SessionFlow(auth=self.auth, workers=self.workers, data_root=data_root,
                                tr=Tr(language), palette=LIGHT, config=self.config)

    async def sign_in(self, account: str, password: str) -> Any:
        self.flow.start()
        self.flow.login.fill(account, password)
        self.flow.login.submit.click()
        return await until(lambda: self.flow.main_window)

    def close(self) -> None:
        window = self.flow.main_window
        if window is not None:
            window.close()
            window.deleteLater()
        self.flow.shutdown_runtime()
        self.flow.login.close()
        self.flow.login.deleteLater()
        QApplication.processEvents()
        self.workers.shutdown()


def dialog_button(text: str) -> QPushButton | None:
    """The button labelled `text` of a visible message box, if one is showing."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            for button in widget.findChildren(QPushButton):
                if button.text() == text:
                    return button
    return None

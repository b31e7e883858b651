"""The session's switch and question: auto-login on/off (H1.9), unsent intents at exit (H1.8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget
from qasync import asyncSlot

from app.i18n import Tr
from app.services.runtime import Runtime
from app.ui.modal import finished

if TYPE_CHECKING:
    from app.ui.session_flow import SessionFlow


class AutoLoginSwitch:
    """The main window's 自动登录 item: the refresh token into the keyring, or out of it."""

    def __init__(self, flow: SessionFlow) -> None:
        self.flow = flow

    @asyncSlot(bool)
    async def toggled(self, on: bool) -> None:
        flow = self.flow
        runtime = flow.runtime
        if runtime is None:
            return
        vault = flow.auth.vault
        url, account = runtime.signed_in.server_url, runtime.signed_in.account
        refusal = self.refusal() if on else None
        if refusal is not None:
            self.show(False)
            await self.tell(flow.tr_(f"session.auto_login.{refusal}"))
            return
        vault.choose(url, account, on)  # also decides for tokens the sync threads rotate
        if on and not await self.store_token(runtime):
            vault.choose(url, account, False)
            self.show(False)
            await self.tell(flow.tr_("session.auto_login.no_keyring"))
            return
        if not on:
            await flow.workers.in_net(vault.delete, url, account)
        if not flow.config.locked("auto_login"):
            flow.config.set("auto_login", on)
        flow.login.remember.setChecked(on)
        self.show(on)

    async def store_token(self, runtime: Runtime) -> bool:
        """The current refresh token into the keyring, again if it rotated meanwhile."""
        flow = self.flow
        url, account = runtime.signed_in.server_url, runtime.signed_in.account
        token = ""
        while token != runtime.keeper.refresh_token:
            token = runtime.keeper.refresh_token
            if not await flow.workers.in_net(flow.auth.vault.save, url, account, token):
                return False
        return True

    def refusal(self) -> str | None:
        reason = self.flow.config.lock_reason("auto_login")
        if reason is not None:
            return reason
        return None if self.flow.auth.vault.state().usable else "no_keyring"

    def show(self, on: bool) -> None:
        """The main window's 自动登录 item follows the state in force, once it has one."""
        show = getattr(self.flow.main_window, "show_auto_login", None)
        if callable(show):
            show(on)

    async def tell(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, self.flow.tr_("session.auto_login.title"),
                          text, QMessageBox.StandardButton.Ok, self.flow.main_window)
        await finished(box)
        box.deleteLater()


async def ask_unsent(tr: Tr, count: int, wait_s: float, parent: QWidget | None, *,
                     volatile: bool = False) -> str:
    """wait | discard | keep_working, for `count` intents not yet on the server that leaving
    would lose: a shared computer's wiped cache (H1.8), or a cache without a keyring."""
    text = "session.unsent.text_volatile" if volatile else "session.unsent.text"
    box = QMessageBox(QMessageBox.Icon.Warning, tr("session.unsent.title"),
                      tr(text, count=count),
                      QMessageBox.StandardButton.NoButton, parent)
    box.setInformativeText(tr("session.unsent.explain", seconds=round(wait_s)))
    wait = box.addButton(tr("session.unsent.wait"), QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton(tr("session.unsent.discard"), QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton(tr("session.unsent.keep_working"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(wait)
    box.setEscapeButton(keep)
    await finished(box)
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is discard:
        return "discard"
    return "wait" if clicked is wait else "keep_working"

"""The login window's side of the lead's account controls, real server: the late-login lock's
reason (H1.3, H1.5), 忘记密码？ (H1.11), a desk forced offline by the lead (H13.3), and the
team setting for the lock."""

from __future__ import annotations

import os

import qasync
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.i18n import Tr
from app.services.scripts import ShiftRules
from app.ui.password_reset import PasswordResetFlow
from app.ui.team_settings_dialog import TeamSettingsDialog
from server import models as m
from tests.support.api import AgentClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.shift_clock import running_shift
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def _reset_flow(app: App) -> PasswordResetFlow:
    """The session flow's 忘记密码？ handler (H1.11)."""
    found = app.flow.login.findChild(PasswordResetFlow)
    assert isinstance(found, PasswordResetFlow), "the login window offers 忘记密码？"
    return found


def test_a_late_agent_sees_why_the_account_is_locked_and_whom_to_ask(
    aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    late = ui_world.agent(company)
    lead = AgentClient(ui_server.url, ui_world.agent(company, role="lead").account, PASSWORD)
    running_shift(lead, company.team_id, [late.id], started_min_ago=15, name="白班")

    async def scenario() -> None:
        login = app.flow.login
        app.flow.start()
        login.fill(late.account, PASSWORD)
        login.submit.click()
        await until(lambda: login.submit.isEnabled() and login.message.text())
        text = login.message.text()
        assert "白班" in text and "10 分钟" in text and "组长" in text and "看板" in text
        assert "账号或密码错误" not in text
        assert login.message.isVisible() and app.flow.main_window is None

        assert lead.post(f"/api/v1/admin/agents/{late.id}/unlock").status_code == 200
        window = await app.sign_in(late.account, PASSWORD)
        assert window is app.flow.main_window

    run(aloop, scenario())


def test_forgot_password_sends_a_request_the_lead_will_see(
    aloop: qasync.QEventLoop, app: App, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    flow = _reset_flow(app)

    async def scenario() -> None:
        login = app.flow.login
        app.flow.start()
        assert login.forgot.isVisible()
        login.fill("not-an-account")
        login.forgot.click()
        dialog = await until(lambda: flow.dialog)
        dialog.account.setText("still wrong")
        dialog.submit.click()
        assert "工号@公司域名" in dialog.message.text() and dialog.isVisible()
        dialog.account.setText(agent.account)
        dialog.submit.click()
        await until(lambda: "已提交" in login.message.text())
        assert "组长" in login.message.text() and "工号后六位" in login.message.text()
        assert login.account.text() == agent.account

    run(aloop, scenario())
    with ui_world.db.read() as session:
        states = session.scalars(
            select(m.ResetRequest.state).where(m.ResetRequest.agent_id == agent.id)).all()
    assert states == ["pending"]


def test_a_desk_forced_offline_returns_to_the_login_window_keeping_its_work(
    aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    """The lead's force offline (H13.3) revokes the tokens: at the next call the desk goes back
    to the login window and says why; what was queued is sent after the next login."""
    company = ui_world.company()
    agent = ui_world.agent(company)
    lead = AgentClient(ui_server.url, ui_world.agent(company, role="lead").account, PASSWORD)

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        forced = lead.post(f"/api/v1/admin/agents/{agent.id}/force-offline")
        assert forced.status_code == 200 and forced.json()["revoked"] >= 1
        # Written after the revocation: its push is the call that finds the session ended.
        problem_id = await app.workers.in_db(window.ws.problems.add, "打印机卡纸，面单打不出")
        await until(lambda: app.flow.main_window is None and app.flow.login.isVisible())
        assert "强制下线" in app.flow.login.message.text()
        seen: set[str] = set()
        lead.pull_all()
        await app.sign_in(agent.account, PASSWORD)
        await until(lambda: problem_id in seen or bool(seen.update(
            c["id"] for c in lead.pull_all() if c["entity"] == "problem")), timeout=20)

    run(aloop, scenario())


def test_team_settings_edit_the_late_login_lock_only_when_read(qtbot: QtBot) -> None:
    """team.configure's H1.3/H13.2 fields: shown and sent when the caller read them, never
    sent as defaults over the team's values otherwise."""
    parent = QWidget()
    qtbot.addWidget(parent)
    plain = TeamSettingsDialog(Tr("zh"), team_name="售前组", first_s=30, complaint_s=300,
                               scripts={}, parent=parent)
    assert "late_login_lock" not in plain.changes()
    rules = ShiftRules(late_login_lock=True, late_login_grace_min=10, handover_alert_min=30)
    dialog = TeamSettingsDialog(Tr("zh"), team_name="售前组", first_s=30, complaint_s=300,
                                scripts={}, parent=parent, rules=rules)
    dialog.show()
    assert dialog.late_lock.isVisible() and dialog.late_grace.isEnabled()
    dialog.late_grace.setValue(15)
    dialog.late_lock.setChecked(False)
    assert not dialog.late_grace.isEnabled()
    changes = dialog.changes()
    assert (changes["late_login_lock"], changes["late_login_grace_min"],
            changes["handover_alert_min"]) == (False, 15, 30)

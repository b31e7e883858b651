"""The problem log (问题登记本, H13.4) and 标记成交 (H12.1) from the main window, on a real server:
an entry added offline-first shows as waiting, then as awaiting the lead's review once synced,
then with the lead's comment; a conversation marked converted reaches the server."""

from __future__ import annotations

import os
from typing import Any

import qasync
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.tables import Conversation, Record
from app.ui.problem_log import ProblemLogDialog
from tests.support.api import AgentClient, VisitorClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.window_views import open_row, row_of
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def _lines(dialog: ProblemLogDialog) -> list[str]:
    return [dialog.entries.item(i).text() for i in range(dialog.entries.count())]


def _problem_ids(window: Any) -> list[str]:
    with window.runtime.store.read() as session:
        return list(session.scalars(select(Record.id).where(Record.entity == "problem")))


def test_an_entry_is_pending_review_then_shows_the_leads_comment(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓敏")
    lead = AgentClient(ui_server.url, ui_world.agent(company, role="lead").account, PASSWORD)

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        VisitorClient(ui_server.url, "小鱼儿", company=company.domain).send("优惠券用不了")
        await until(lambda: row_of(window, "小鱼儿") is not None and row_of(window, "小鱼儿").mine)
        open_row(window, "小鱼儿")

        window.commands["shift.problem_log"].trigger()
        dialog = await until(lambda: next(
            (d for d in window.findChildren(ProblemLogDialog) if d.isVisible()), None))
        assert not dialog.add.isEnabled(), "a text is required"
        assert dialog.link.isChecked(), "the open conversation is linked"
        dialog.text.setPlainText("优惠券在结算页无法使用")
        dialog.category.setCurrentIndex(dialog.category.findData("system"))
        dialog.add.click()
        await until(lambda: any("优惠券在结算页无法使用" in t and "待主管审阅" in t
                                for t in _lines(dialog)), timeout=30)
        assert "[系统]" in _lines(dialog)[0]
        [problem_id] = _problem_ids(window)
        reviewed = lead.do("problem.review", id=problem_id, comment="已报技术部")
        assert reviewed["status"] == "applied", reviewed
        await until(lambda: any("主管已审阅：已报技术部" in t for t in _lines(dialog)), timeout=30)
        dialog.close()

        # H12.1: 标记成交 on the action bar; the server's row comes back converted.
        convert = window.commands["conversation.convert"]
        assert convert.isEnabled() and convert.text() == "标记成交"
        convert.trigger()
        cid = row_of(window, "小鱼儿").id

        def converted() -> bool:
            with window.runtime.store.read() as session:
                conv = session.get(Conversation, cid)
                return bool(conv is not None and (conv.data or {}).get("converted_at"))

        await until(converted, timeout=30)
        await until(lambda: convert.text() == "取消成交")

    run(aloop, scenario(), timeout=90)

"""The lead's board end to end (H13.3; pytest-qt, offscreen, real server): agents with states
and loads from the feed, live as they change; 500 conversations reassigned from the board's
dialog reach the receivers; a late-locked agent (H1.3) unlocked, a reset (H1.11) approved, an
agent forced offline, a surge declared and ended (H11.4), a problem reviewed (H13.4), metrics
(H12.1); offline the last known state with its time; an agent gets no board and the server
refuses its calls. And the live counts from a cache filled with feed rows."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import qasync
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.ui.board_dialogs import CommentDialog, ReassignDialog
from app.ui.board_window import BoardWindow, open_board
from app.ui.timeline_view import TimelineDialog
from server import models as m
from tests.support.api import AgentClient, http, login
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.shift_clock import running_shift
from tests.support.world import PASSWORD, CompanyRef, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def _open(world: World, company: CompanyRef, agent_id: str, count: int) -> list[str]:
    """Open conversations written straight into the server's database (a heavy load)."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    now = dt.datetime.now(dt.UTC)
    with world.db.write() as session:
        customer = m.Customer(id=str(uuid.uuid4()), company_id=company.id,
                              team_id=company.team_id, nickname="老顾客")
        session.add(customer)
        session.flush()
        session.add_all(m.Conversation(id=cid, team_id=company.team_id, customer_id=customer.id,
                                       agent_id=agent_id, state="open", created_at=now,
                                       assigned_at=now) for cid in ids)
    return ids


async def _board(window: Any) -> BoardWindow:
    open_board(window)
    board = await until(lambda: window.findChild(BoardWindow))
    await until(lambda: board.view is not None and board.view.snapshot_at is not None)
    return board


async def _shown(board: BoardWindow, kind: type) -> Any:
    """The board's visible dialog (or message box) of `kind`, once it is there."""
    return await until(lambda: next((d for d in board.findChildren(kind) if d.isVisible()),
                                    None))


def _line(board: BoardWindow, name: str) -> Any:
    return next((a for a in board.agents.rows if a.name == name), None)


def _cell(board: BoardWindow, name: str, column: int) -> str:
    row = next(i for i, a in enumerate(board.agents.rows) if a.name == name)
    return str(board.agents.data(board.agents.index(row, column)))


def test_board_live_and_bulk_reassign_of_500_reaches_the_receivers(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company(max_load=600)
    lead = ui_world.agent(company, role="lead", name="赵组长", manages=(company.team_id,))
    leaving = ui_world.agent(company, name="下班的小王")
    receivers = [ui_world.agent(company, name=n) for n in ("小甲", "小乙")]
    leaving_api = AgentClient(ui_server.url, leaving.account, PASSWORD)
    leaving_api.online()
    ids = _open(ui_world, company, leaving.id, 501)

    async def scenario() -> None:
        window = await app.sign_in(lead.account, PASSWORD)
        assert window.commands["shift.board"].isVisible()
        board = await _board(window)
        await until(lambda: _line(board, "下班的小王") is not None
                    and _line(board, "下班的小王").load == 501)
        assert _cell(board, "下班的小王", 1) == "在线" and _cell(board, "小甲", 1) == "离线"
        assert _cell(board, "下班的小王", 2) == "501"

        # Live from the feed: a receiver comes online, the leaving agent closes one.
        AgentClient(ui_server.url, receivers[0].account, PASSWORD).online()
        assert leaving_api.do("conversation.close",
                              conversation_id=ids[0])["status"] == "applied"
        await until(lambda: _line(board, "小甲").connection == "online"
                    and _line(board, "下班的小王").load == 500)

        board.select_agent(leaving.id)
        assert board.reassign_button.isEnabled()
        board.reassign_button.click()
        dialog = await _shown(board, ReassignDialog)
        assert dialog.notify.isChecked() and not dialog.ok.isEnabled()  # nobody picked yet
        for i in range(dialog.targets.count()):
            item = dialog.targets.item(i)
            if any(r.name in item.text() for r in receivers):
                item.setCheckState(item.checkState().Checked)
        assert dialog.ok.text() == "转移 500 个会话" and dialog.ok.isEnabled()
        dialog.ok.click()
        await until(lambda: _line(board, "下班的小王").load == 0, timeout=60)
        await until(lambda: _line(board, "小甲").load + _line(board, "小乙").load == 500)
        assert "500" in board.message.text()

    run(aloop, scenario(), timeout=150)
    with ui_world.db.read() as session:
        counts = [session.scalar(select(func.count()).select_from(m.Conversation).where(
            m.Conversation.agent_id == r.id, m.Conversation.state == "open")) for r in receivers]
    assert counts == [250, 250]
    for receiver, expected in zip(receivers, counts, strict=True):  # in each receiver's feed
        feed = AgentClient(ui_server.url, receiver.account, PASSWORD).pull_all()
        mine = {c["id"] for c in feed if c["entity"] == "conversation"
                and (c["data"] or {}).get("agent_id") == receiver.id}
        assert len(mine) == expected


def test_unlock_a_late_locked_agent_and_approve_a_reset_from_the_board_h1_3_h1_11(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    lead = ui_world.agent(company, role="lead", name="钱组长", manages=(company.team_id,))
    late = ui_world.agent(company, name="迟到的小李")
    forgetful = ui_world.agent(company, name="忘密码的小何")
    running_shift(AgentClient(ui_server.url, lead.account, PASSWORD), company.team_id,
                  [late.id], started_min_ago=15)
    assert login(ui_server.url, late.account, PASSWORD).status_code == 423

    async def scenario() -> None:
        window = await app.sign_in(lead.account, PASSWORD)
        board = await _board(window)
        await until(lambda: _line(board, "迟到的小李") is not None
                    and _line(board, "迟到的小李").locked)
        assert _cell(board, "迟到的小李", 6) == "已锁定（迟到登录）"
        board.select_agent(late.id)
        assert board.unlock_button.isEnabled()
        board.unlock_button.click()
        await until(lambda: not _line(board, "迟到的小李").locked)
        assert board.message.text() == "已解锁 迟到的小李"
        assert login(ui_server.url, late.account, PASSWORD).status_code == 200

        board.timeline_button.click()  # the shift's story of that agent, oldest first
        timeline = await _shown(board, TimelineDialog)
        events = timeline.model
        await until(lambda: events.rowCount() >= 3)
        kinds = [events.data(events.index(r, 1)) for r in range(events.rowCount())]
        assert kinds[:3] == ["迟到锁定", "被解锁", "登录"], kinds
        timeline.close()

        # H1.11: a forgotten password, asked for at the login window, approved from the board.
        asked = http().post(f"{ui_server.url}/api/v1/auth/password-reset-requests",
                            json={"account": forgetful.account}, timeout=10)
        assert asked.status_code == 202
        board.refresh_button.click()
        await until(lambda: board.resets.rowCount() == 1)
        assert board.resets.data(board.resets.index(0, 0)) == "忘密码的小何"
        assert not board.approve_button.isEnabled()
        board.reset_view.selectRow(0)
        board.approve_button.click()
        await until(lambda: board.resets.rowCount() == 0)
        assert board.message.text() == "已批准 忘密码的小何 的密码重置"

    run(aloop, scenario(), timeout=90)
    assert login(ui_server.url, forgetful.account, PASSWORD).status_code == 401  # reset


def test_offline_the_board_shows_the_last_known_state_with_its_time(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    lead = ui_world.agent(company, role="lead", name="孙组长", manages=(company.team_id,))
    colleague = ui_world.agent(company, name="在线的小周")
    api = AgentClient(ui_server.url, colleague.account, PASSWORD)
    api.online()

    async def scenario() -> None:
        window = await app.sign_in(lead.account, PASSWORD)
        board = await _board(window)
        await until(lambda: _line(board, "在线的小周") is not None
                    and _line(board, "在线的小周").connection == "online")
        assert board.view is not None and board.view.snapshot_at is not None
        known = dt.datetime.fromtimestamp(board.view.snapshot_at).strftime("%H:%M")
        ui_server.stop()
        try:
            board.refresh_button.click()
            await until(lambda: board.updated.text() == f"离线：显示 {known} 的状态", timeout=30)
            assert _cell(board, "在线的小周", 1) == "在线", "the last known state stays"
        finally:
            ui_server.start()
        board.refresh_button.click()
        await until(lambda: board.updated.text().startswith("状态更新于"), timeout=30)

        # Back online, the lead forces the colleague offline (after a confirmation).
        board.select_agent(colleague.id)
        board.force_button.click()
        ask = await _shown(board, QMessageBox)
        assert "在线的小周" in ask.text()
        ask.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: _line(board, "在线的小周").connection == "offline", timeout=30)
        assert board.message.text() == "已让 在线的小周 下线"

    run(aloop, scenario(), timeout=120)
    assert api.get("/api/v1/sync/pull", params={"cursor": ""}).status_code == 401


def test_an_agent_gets_no_board_and_the_server_refuses_its_calls(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="普通客服")
    api = AgentClient(ui_server.url, agent.account, PASSWORD)
    refused = api.get(f"/api/v1/board/{company.team_id}")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    metrics = api.get("/api/v1/metrics", params={"team_id": company.team_id,
                                                 "start": "2026-12-01T00:00:00+08:00",
                                                 "end": "2026-12-02T00:00:00+08:00"})
    assert metrics.status_code == 403, metrics.text

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        assert not window.commands["shift.board"].isVisible()
        open_board(window)  # even when called directly: no board for an agent
        assert window.findChild(BoardWindow) is None

    run(aloop, scenario(), timeout=60)


def test_surge_declared_and_ended_and_a_problem_reviewed_from_the_board_h11_4_h13_4(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    lead = ui_world.agent(company, role="lead", name="李组长", manages=(company.team_id,))
    agent = AgentClient(ui_server.url, ui_world.agent(company, name="记问题的小吴").account,
                        PASSWORD)
    problem_id = str(uuid.uuid4())
    assert agent.do("problem.add", id=problem_id, text="物流系统查不到单号",
                    category="系统")["status"] == "applied"

    async def scenario() -> None:
        window = await app.sign_in(lead.account, PASSWORD)
        board = await _board(window)
        assert board.surge_label.text() == "进线正常" and board.declare.isVisible()
        board.declare.click()
        note = await _shown(board, CommentDialog)
        note.text.setPlainText("大促开始，全员在线")
        note.ok.click()
        await until(lambda: board.surge_label.text().startswith("一级响应进行中（组长宣布"))
        assert board.end_surge_button.isVisible() and not board.declare.isVisible()
        board.end_surge_button.click()
        await until(lambda: board.surge_label.text() == "进线正常")

        board.tabs.setCurrentWidget(board.problems_page)
        await until(lambda: board.problems.rowCount() == 1)
        model = board.problems
        assert [model.data(model.index(0, c)) for c in (1, 2, 3, 4)] == [
            "记问题的小吴", "系统", "物流系统查不到单号", "待审阅"]
        assert not board.review_button.isEnabled()
        board.problem_view.selectRow(0)
        assert board.review_button.isEnabled()
        board.review_button.click()
        review = await _shown(board, CommentDialog)
        review.text.setPlainText("已联系物流组")
        review.ok.click()
        await until(lambda: model.data(model.index(0, 4)) == "已审阅：已联系物流组")

        board.close()  # one board per main window: closed, it asks nothing; reopened, raised
        assert not board.snapshot_timer.isActive()
        open_board(window)
        assert window.findChildren(BoardWindow) == [board] and board.isVisible()
        assert board.snapshot_timer.isActive()

    run(aloop, scenario(), timeout=90)
    with ui_world.db.read() as session:
        problem = session.get(m.Problem, problem_id)
        assert problem is not None and problem.review_comment == "已联系物流组"
        surges = session.scalars(select(m.Surge).where(m.Surge.team_id == company.team_id)).all()
        assert [(s.source, s.note, s.ended_at is not None) for s in surges] == [
            ("lead", "大促开始，全员在线", True)]


def test_metrics_tab_shows_the_servers_report_h12_1(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    lead = ui_world.agent(company, role="lead", name="周组长", manages=(company.team_id,))
    agent = ui_world.agent(company, name="考核的小郑")
    just_now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    with ui_world.db.write() as session:
        customer = m.Customer(id=str(uuid.uuid4()), company_id=company.id,
                              team_id=company.team_id, nickname="顾客")
        session.add(customer)
        session.flush()
        for ms, closed, rating, converted in ((10_000, True, 5, True), (40_000, True, 3, False),
                                              (20_000, False, None, False)):
            session.add(m.Conversation(
                id=str(uuid.uuid4()), team_id=company.team_id, customer_id=customer.id,
                agent_id=agent.id, state="closed" if closed else "open", created_at=just_now,
                assigned_at=just_now, first_response_ms=ms, rating=rating,
                converted_at=just_now if converted else None))

    async def scenario() -> None:
        window = await app.sign_in(lead.account, PASSWORD)
        board = await _board(window)
        view = board.metrics_view
        assert view is not None and not view.csv_button.isEnabled()
        board.tabs.setCurrentWidget(view)
        view.period.setCurrentIndex(1)  # the last 7 days
        view.load_button.click()
        await until(lambda: any(r.name == "考核的小郑" for r in view.model.rows))
        row = next(i for i, r in enumerate(view.model.rows) if r.name == "考核的小郑")
        cells = [view.model.data(view.model.index(row, c)) for c in range(10)]
        assert cells == ["考核的小郑", "3", "20.0 秒", "40.0 秒", "1", "67%", "4.0 分", "50%",
                         "1", "33%"], cells
        assert view.csv_button.isEnabled() and view.charts[0].spec is not None

    run(aloop, scenario(), timeout=90)


def test_live_counts_from_the_cache_breaches_waits_queue_and_overdue_items(tmp_path: Path) -> None:
    """BoardService.live over feed rows (no server): a late first response inside the shift
    and a customer waiting beyond the standard are breaches, one outside the shift is not;
    the queue by waiting time; unacked handover items, overdue after handover_alert_min."""
    from app.models.store import open_store
    from app.services.board import BoardService
    from bench.board_bench import apply_rows, conversation_row
    from kefu_protocol.wire import Change

    store = open_store(tmp_path / "cache.db")
    try:
        now = dt.datetime.now(dt.UTC).timestamp()
        team, shift, a, b = (str(uuid.uuid4()) for _ in range(4))

        def rec(entity: str, rid: str, **data: Any) -> Change:
            return Change(entity=entity, op="upsert", id=rid, data={"id": rid, "version": 1,
                                                                    **data})

        def conv(agent: str | None, *, state: str = "open", waiting: float | None = None,
                 first_ms: int | None = None, first_ago: float = 60) -> Change:
            cid = str(uuid.uuid4())
            created = waiting if state == "queued" and waiting else now - 7200
            return Change(entity="conversation", op="upsert", id=cid, data=conversation_row(
                cid, team, agent, state=state, created=created, awaiting=waiting,
                first_ms=first_ms, first_at=now - first_ago if first_ms else None))

        zone = ZoneInfo("Asia/Shanghai")  # the company's zone (the default)
        shift_start = dt.datetime.fromtimestamp(now - 3600, zone)
        shift_end = dt.datetime.fromtimestamp(now + 3600, zone)
        apply_rows(store, [
            rec("team", team, name="售前组", first_response_s=30, handover_alert_min=30),
            rec("shift", shift, team_id=team, name="白班", starts=shift_start.strftime("%H:%M"),
                ends=shift_end.strftime("%H:%M"), agent_ids=[a, b]),
            rec("agent", a, team_id=team, name="小甲", presence="online"),
            rec("agent", b, team_id=team, name="小乙", presence="away"),
            conv(a, waiting=now - 90),  # waiting beyond the 30 s standard now
            conv(a, waiting=now - 10, first_ms=45_000),  # late first response this shift
            conv(a, first_ms=45_000, first_ago=3 * 3600, state="closed"),  # before the shift
            conv(b, first_ms=5_000),
            conv(None, state="queued", waiting=now - 300),
            conv(None, state="queued", waiting=now - 20),
            rec("handover", str(uuid.uuid4()), team_id=team, from_agent_id=a, to_agent_id=b,
                created_at=dt.datetime.fromtimestamp(now - 45 * 60, dt.UTC).isoformat(),
                acked_at=None, items=[{"kind": "todo", "text": "回电", "acked_at": None},
                                      {"kind": "note", "text": "已处理", "acked_at": "x"}]),
        ])
        service = BoardService(store, run_db=None, agent_id="lead", role="lead",
                               team_ids=[team], keeper=None,  # type: ignore[arg-type]
                               make_client=None, poke=lambda: None)  # type: ignore[arg-type]
        view = service.live(team, now)
        assert view.shift.name == "白班" and view.standard_s == 30
        lines = {line.name: line for line in view.agents}
        assert (lines["小甲"].load, lines["小甲"].breaches, lines["小甲"].connection) == (
            2, 2, "online")
        assert lines["小甲"].waiting_since == pytest.approx(now - 90, abs=1)
        assert (lines["小乙"].load, lines["小乙"].breaches, lines["小乙"].waiting_since) == (
            1, 0, None)
        assert [round(now - q.since) for q in view.queue] == [300, 20]
        assert [(h.text, h.from_name, h.to_name, h.overdue) for h in view.handovers] == [
            ("回电", "小甲", "小乙", True)]
        assert view.snapshot_at is None and not view.offline  # no server state yet
    finally:
        store.close()


def test_the_timeline_names_the_customer_of_each_conversation(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """H13.3: a lead reads 接入会话 · 宝妈小李, not a conversation id; one the cache does not
    hold still shows its short id."""
    from app.i18n import Tr
    from app.models.store import open_store
    from app.services.board import BoardService
    from app.ui.theme import LIGHT
    from bench.board_bench import apply_rows, conversation_row
    from kefu_protocol.board import ActivityPage, ActivityRow
    from kefu_protocol.wire import Change

    store = open_store(tmp_path / "cache.db")
    try:
        team, customer, known, unknown = (str(uuid.uuid4()) for _ in range(4))
        now = dt.datetime.now(dt.UTC).timestamp()
        apply_rows(store, [
            Change(entity="customer", op="upsert", id=customer, data={
                "id": customer, "team_id": team, "nickname": "宝妈小李", "vip_level": 0,
                "version": 1}),
            Change(entity="conversation", op="upsert", id=known, data=conversation_row(
                known, team, "a", state="open", created=now, awaiting=None,
                nickname_of=customer)),
        ])
        service = BoardService(store, run_db=None, agent_id="lead", role="lead",
                               team_ids=[team], keeper=None,  # type: ignore[arg-type]
                               make_client=None, poke=lambda: None)  # type: ignore[arg-type]
        page = ActivityPage(agent_id="a", events=[
            ActivityRow(at="2026-12-02T01:00:00+00:00", kind="accepted", conversation_id=known),
            ActivityRow(at="2026-12-02T01:05:00+00:00", kind="closed", conversation_id=unknown),
        ])
        dialog = TimelineDialog(Tr("zh"), LIGHT, agent_name="小甲")
        qtbot.addWidget(dialog)
        dialog.show_page(page, service.customer_names([known, unknown]))
        model = dialog.model
        details = [model.data(model.index(r, 2)) for r in range(model.rowCount())]
        assert details == ["宝妈小李", f"#{unknown[:8]}"]
    finally:
        store.close()

"""The lead's metrics view (H12.1) from a known MetricsReport: the table shows the numbers, the
charts draw them, CSV opens in Excel with the Chinese names (UTF-8 BOM), PDF is a real PDF; and
the board's table models hold up under qtmodeltester."""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.i18n import Tr
from app.services.board_rows import AgentLine, HandoverLine, OpenLine, ProblemLine, QueueLine
from app.services.metrics import MetricsService
from app.ui.board_dialogs import OpenModel
from app.ui.board_models import AgentModel, HandoverModel, ProblemModel, QueueModel, ResetModel
from app.ui.metrics_view import MetricsModel, MetricsView
from app.ui.theme import LIGHT
from app.ui.timeline_view import TimelineModel
from app.workers import Workers
from kefu_protocol.board import ActivityRow, AgentMetrics, MetricsReport, ResetRequestRow

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def metrics(agent_id: str, name: str, served: int, median: int | None, p90: int | None,
            breaches: int, csat: float | None, converted: int) -> AgentMetrics:
    return AgentMetrics(
        agent_id=agent_id, name=name, served=served, first_response_median_ms=median,
        first_response_p90_ms=p90, breaches=breaches, resolved=served - 1,
        resolution_rate=(served - 1) / served, rated=4, csat_avg=csat,
        csat_satisfied_rate=0.75 if csat else None, converted=converted,
        conversion_rate=converted / served)


REPORT = MetricsReport(
    team_id="t1", start="2026-12-01T00:00:00+00:00", end="2026-12-01T09:00:00+00:00",
    shift_id=None,
    agents=[metrics("a1", "王晓敏", 40, 12_000, 28_000, 2, 4.5, 10),
            metrics("a2", "李娜", 25, 41_000, 95_000, 9, 3.2, 2)],
    total=metrics("", "", 65, 18_000, 80_000, 11, 4.0, 12))


@pytest.fixture()
def workers() -> Iterator[Workers]:
    w = Workers()
    yield w
    w.shutdown()


def view(qtbot: QtBot, workers: Workers) -> MetricsView:
    service = MetricsService(keeper=None, make_client=lambda: None)  # type: ignore[arg-type]
    widget = MetricsView(service, workers, Tr("zh"), LIGHT, team_id="t1", team_name="售前组",
                         shifts=[("s1", "白班")], standard_s=30)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show_report(REPORT)
    return widget


def test_table_and_charts_show_the_report(qtbot: QtBot, workers: Workers) -> None:
    widget = view(qtbot, workers)
    model = widget.model
    cells = [[model.data(model.index(r, c)) for c in range(model.columnCount())]
             for r in range(model.rowCount())]
    assert cells[0][:5] == ["王晓敏", "40", "12.0 秒", "28.0 秒", "2"]
    assert cells[1][0] == "李娜" and cells[1][5] == "96%" and cells[1][6] == "3.2 分"
    assert cells[2][0] == "全组合计" and cells[2][1] == "65" and cells[2][9] == "18%"
    # breaches in red, the counts beside them not
    assert model.data(model.index(1, 4), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(1, 3), Qt.ItemDataRole.ForegroundRole) is None
    served, speed, csat = (c.spec for c in widget.charts)
    assert served is not None and speed is not None and csat is not None
    assert served.labels == ("王晓敏", "李娜") and served.series[0].values == (40.0, 25.0)
    assert speed.reference == 30.0 and speed.series[1].values == (28.0, 95.0)
    assert csat.series[0].values == (4.5, 3.2)
    conversion = csat.series[1]  # drawn on the 1-5 scale, labelled as the rate it is
    assert conversion.fmt is not None and [conversion.fmt(v) for v in conversion.values if v] \
        == ["25%", "8%"]
    assert "首次响应" in speed.title and "30" in speed.title
    widget.show()
    for chart in widget.charts:  # the first series' bars are there, in its colour
        image = chart.grab().toImage()
        colours = {QColor(image.pixel(x, y)).name()
                   for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
        assert chart.spec is not None and chart.spec.series[0].colour in colours
    assert widget.csv_button.isEnabled() and widget.pdf_button.isEnabled()


def test_csv_has_a_bom_chinese_headers_and_the_numbers(qtbot: QtBot, workers: Workers,
                                                      tmp_path: Path) -> None:
    widget = view(qtbot, workers)
    path = tmp_path / "metrics.csv"
    widget.export_csv(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["客服", "接待量", "首响中位数（秒）"]
    assert rows[1] == ["王晓敏", "40", "12.0", "28.0", "2", "39", "0.975", "4", "4.5",
                       "0.75", "10", "0.25"]
    assert rows[2][0] == "李娜" and rows[3][0] == "全组合计" and len(rows) == 4


def test_pdf_export_writes_a_pdf(qtbot: QtBot, workers: Workers, tmp_path: Path) -> None:
    widget = view(qtbot, workers)
    path = tmp_path / "metrics.pdf"
    widget.export_pdf(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert len(data) > 5_000, "the table and three charts, with an embedded CJK font"
    assert b"/Font" in data


def test_board_models_pass_the_model_tester(qtmodeltester: ModelTester) -> None:
    tr, now = Tr("zh"), time.time()
    agents = AgentModel(tr, LIGHT)
    qtmodeltester.check(agents)
    lines = [AgentLine(f"a{i}", f"客服{i}", "agent", c, i, now - 90 * i if i else None, i % 2,
                       now - 10, i == 2, "late_login" if i == 2 else "")
             for i, c in enumerate(("online", "busy", "away", "offline", "degraded"))]
    agents.set_rows(lines)
    qtmodeltester.check(agents)
    assert agents.data(agents.index(4, 1)) == "连接不稳"
    assert agents.data(agents.index(2, 6)) == "已锁定（迟到登录）"
    assert agents.data(agents.index(1, 3)) == "1 分 30 秒"
    agents.sort(4, Qt.SortOrder.DescendingOrder)  # a header click: most breaches first
    qtmodeltester.check(agents)
    assert [a.breaches for a in agents.rows] == [1, 1, 0, 0, 0]
    agents.sort(3, Qt.SortOrder.DescendingOrder)  # the longest wait first, no wait last
    assert [a.id for a in agents.rows] == ["a4", "a3", "a2", "a1", "a0"]
    agents.set_rows(lines)  # a refresh keeps the lead's order
    assert [a.id for a in agents.rows] == ["a4", "a3", "a2", "a1", "a0"]
    agents.set_rows(lines[:2])
    qtmodeltester.check(agents)
    models = [
        (QueueModel(tr, LIGHT), [QueueLine("c1", "小鱼儿", now - 5, False)]),
        (HandoverModel(tr, LIGHT), [HandoverLine("h1", 0, "todo", "回电", "王", "李",
                                                 now - 3600, True)]),
        (ResetModel(tr, LIGHT), [ResetRequestRow(id="r1", agent_id="a1", account="x@y",
                                                 name="王", requested_at="2026-12-01T08:00:00Z")]),
        (ProblemModel(tr, LIGHT), [ProblemLine("p1", "王", "系统卡顿", "系统", now, False, "")]),
        (TimelineModel(tr, LIGHT), [
            ActivityRow(at="2026-12-01T08:00:00+00:00", kind="login"),
            ActivityRow(at="2026-12-01T08:00:01+00:00", kind="presence",
                        detail={"previous": "offline", "status": "online"}),
            ActivityRow(at="2026-12-01T08:03:00+00:00", kind="breach", conversation_id="c" * 36,
                        detail={"first_response_ms": 95_000, "standard_s": 30})]),
        (MetricsModel(tr, LIGHT), [REPORT.agents[0]]),
        (OpenModel(tr, LIGHT), [OpenLine("c2", "老顾客", now - 30), OpenLine("c3", "", None)]),
    ]
    for model, rows in models:
        qtmodeltester.check(model)
        model.set_rows(rows)
        qtmodeltester.check(model)
    timeline = models[4][0]
    kinds = [timeline.data(timeline.index(r, 1)) for r in range(3)]
    assert kinds == ["登录", "状态变更", "响应超时"]
    assert timeline.data(timeline.index(1, 2)) == "离线 → 在线"
    assert timeline.data(timeline.index(2, 2)) == "#cccccccc · 首次响应 95 秒（标准 30 秒）"
    handovers = models[1][0]
    assert handovers.data(handovers.index(0, 0)) == "待办"
    assert handovers.data(handovers.index(0, 1), Qt.ItemDataRole.BackgroundRole) is not None

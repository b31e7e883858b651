"""The board's 指标 tab (H12.1): per-agent table and charts, by shift or period, CSV and PDF."""

from __future__ import annotations

import datetime as dt
import html
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QMarginsF, QRectF, Qt
from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.metrics import MetricsFailed, MetricsService
from app.ui.board_models import RowsModel
from app.ui.charts import BarChart, ChartSpec, chart_height, paint_chart, series
from app.ui.theme import LIGHT, Palette
from app.workers import Workers
from kefu_protocol.board import AgentMetrics, MetricsReport

CSV_KEYS = ("agent", "served", "median_s", "p90_s", "breaches", "resolved", "resolution_rate",
            "rated", "csat_avg", "satisfied_rate", "converted", "conversion_rate")


class MetricsModel(RowsModel[AgentMetrics]):
    """One line per agent, the team's total last (agent_id "")."""

    headers = ("metrics.col.agent", "metrics.col.served", "metrics.col.median",
               "metrics.col.p90", "metrics.col.breaches", "metrics.col.resolution",
               "metrics.col.csat", "metrics.col.satisfied", "metrics.col.converted",
               "metrics.col.conversion")

    def key(self, row: AgentMetrics) -> str:
        return row.agent_id

    def text(self, row: AgentMetrics, column: int) -> str:
        tr = self.tr_
        empty = tr("metrics.empty")

        def secs(ms: int | None) -> str:
            return empty if ms is None else tr("metrics.seconds", s=f"{ms / 1000:.1f}")

        def pct(rate: float | None) -> str:
            return empty if rate is None else tr("metrics.percent", p=f"{rate * 100:.0f}")

        values = (row.name or tr("metrics.total"), str(row.served),
                  secs(row.first_response_median_ms), secs(row.first_response_p90_ms),
                  str(row.breaches), pct(row.resolution_rate),
                  empty if row.csat_avg is None else tr("metrics.stars", v=f"{row.csat_avg:.1f}"),
                  pct(row.csat_satisfied_rate), str(row.converted), pct(row.conversion_rate))
        return values[column]

    def foreground(self, row: AgentMetrics, column: int) -> Any:
        return self.palette_.danger if column == 4 and row.breaches else None


def chart_specs(tr: Tr, report: MetricsReport, standard_s: int | None) -> list[ChartSpec]:
    """What a lead would rather look at than read: volume, speed against the standard, and
    the customers' verdict next to sales."""
    agents = report.agents
    labels = tuple(a.name for a in agents)

    def s(ms: int | None) -> float | None:
        return None if ms is None else ms / 1000

    return [
        ChartSpec(tr("chart.served"), labels,
                  (series(tr("chart.served"), [float(a.served) for a in agents], 0),),
                  fmt=lambda v: f"{v:.0f}"),
        ChartSpec(tr("chart.first_response", s=standard_s) if standard_s
                  else tr("chart.first_response.nostd"), labels,
                  (series(tr("chart.median"), [s(a.first_response_median_ms) for a in agents], 0),
                   series(tr("chart.p90"), [s(a.first_response_p90_ms) for a in agents], 1)),
                  reference=float(standard_s) if standard_s else None,
                  fmt=lambda v: f"{v:.0f}"),
        ChartSpec(tr("chart.csat"), labels,
                  (series(tr("metrics.col.csat"), [a.csat_avg for a in agents], 2),
                   series(tr("chart.conversion"),
                          [None if a.conversion_rate is None else a.conversion_rate * 5
                           for a in agents], 3, fmt=lambda v: f"{v / 5:.0%}")),
                  maximum=5.0, fmt=lambda v: f"{v:.1f}"),
    ]


class MetricsView(QWidget):
    def __init__(self, service: MetricsService, workers: Workers, tr: Tr, palette: Palette, *,
                 team_id: str, team_name: str, shifts: list[tuple[str, str]],
                 standard_s: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.workers, self.tr_, self.palette_ = service, workers, tr, palette
        self.team_id, self.team_name, self.standard_s = team_id, team_name, standard_s
        self.report: MetricsReport | None = None
        self.period = QComboBox()
        for key in ("metrics.range.today", "metrics.range.week", "metrics.by_shift"):
            self.period.addItem(tr(key), key)
        self.shift = QComboBox()
        for shift_id, name in shifts:
            self.shift.addItem(name, shift_id)
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.load_button = QPushButton(tr("metrics.load"))
        self.csv_button = QPushButton(tr("metrics.csv"))
        self.pdf_button = QPushButton(tr("metrics.pdf"))
        self.status = QLabel(tr("metrics.none"))
        self.status.setObjectName("hint")
        bar = QHBoxLayout()
        for widget in (QLabel(tr("metrics.period")), self.period, self.shift, self.date,
                       self.load_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.csv_button)
        bar.addWidget(self.pdf_button)
        self.model = MetricsModel(tr, palette)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.charts = [BarChart(palette) for _ in range(3)]
        strip = QWidget()
        row = QHBoxLayout(strip)
        for chart in self.charts:
            row.addWidget(chart, 1, Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(strip)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 2)
        layout.addWidget(scroll, 3)
        self.period.currentIndexChanged.connect(self._period_changed)
        self.load_button.clicked.connect(self.load)
        self.csv_button.clicked.connect(lambda: self._ask_save("csv"))
        self.pdf_button.clicked.connect(lambda: self._ask_save("pdf"))
        self._period_changed()
        self._exports_enabled()

    def _period_changed(self) -> None:
        by_shift = self.period.currentData() == "metrics.by_shift"
        self.shift.setVisible(by_shift)
        self.date.setVisible(by_shift)

    def _exports_enabled(self) -> None:
        self.csv_button.setEnabled(self.report is not None)
        self.pdf_button.setEnabled(self.report is not None)

    @asyncSlot()
    async def load(self) -> None:
        kind = self.period.currentData()
        try:
            if kind == "metrics.by_shift" and self.shift.currentData():
                day = self.date.date().toPython()
                report = await self.workers.in_net(self.service.fetch_shift, self.team_id,
                                                   str(self.shift.currentData()), day)
            else:
                end = dt.datetime.now().astimezone()
                start = end.replace(hour=0, minute=0, second=0, microsecond=0)
                if kind == "metrics.range.week":
                    start -= dt.timedelta(days=6)
                report = await self.workers.in_net(self.service.fetch_range, self.team_id,
                                                   start, end)
        except MetricsFailed as exc:
            known = self.service.last(self.team_id)
            if exc.code == "network" and known is not None:
                self.show_report(known.report)
                self.status.setText(self.tr_("metrics.offline", time=time.strftime(
                    "%H:%M", time.localtime(known.fetched))))
            else:
                key = f"board.fail.{exc.code}"
                self.status.setText(self.tr_(key) if exc.code in ("forbidden", "network")
                                    else self.tr_("board.fail.other", message=exc.message))
            return
        self.show_report(report)

    def show_report(self, report: MetricsReport) -> None:
        self.report = report
        self.model.set_rows([*report.agents, report.total.model_copy(update={"agent_id": ""})])
        for chart, spec in zip(self.charts, chart_specs(self.tr_, report, self.standard_s),
                               strict=True):
            chart.set_spec(spec)
        self.status.setText(self._title(report))
        self._exports_enabled()

    def _title(self, report: MetricsReport) -> str:
        def local(value: str) -> str:
            return dt.datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")

        return self.tr_("metrics.title", team=self.team_name, start=local(report.start),
                        end=local(report.end))

    def _ask_save(self, kind: str) -> None:
        name = f"metrics-{dt.date.today().isoformat()}.{kind}"
        path, _ = QFileDialog.getSaveFileName(self, self.tr_(f"metrics.{kind}"), name)
        if path:
            (self.export_csv if kind == "csv" else self.export_pdf)(Path(path))
            self.status.setText(self.tr_("metrics.saved", path=path))

    def export_csv(self, path: Path) -> None:
        if self.report is not None:
            self.service.to_csv(self.report, path,
                                headers=[self.tr_(f"metrics.csv.{k}") for k in CSV_KEYS],
                                total_name=self.tr_("metrics.total"))

    def export_pdf(self, path: Path) -> None:
        """A4 landscape: the title, the table, then the charts (light colours for paper)."""
        if self.report is None:
            return
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageOrientation(QPageLayout.Orientation.Landscape)
        writer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
        writer.setResolution(96)
        writer.setTitle(self._title(self.report))
        painter = QPainter(writer)
        page = QRectF(writer.pageLayout().paintRectPixels(96))
        width, height = page.width(), page.height()
        doc = QTextDocument()
        doc.setDefaultFont(self.font())
        doc.setTextWidth(width)
        doc.setHtml(self._html())
        doc.drawContents(painter)
        y = doc.size().height() + 12
        for spec in chart_specs(self.tr_, self.report, self.standard_s):
            h = chart_height(spec, self.font())
            if y + h > height and y > 0:
                writer.newPage()
                y = 0.0
            paint_chart(painter, QRectF(0, y, width, h), spec, LIGHT, self.font())
            y += h + 12
        painter.end()

    def _html(self) -> str:
        cols = self.model.columnCount()
        across = Qt.Orientation.Horizontal
        head = "".join(f"<th>{html.escape(str(self.model.headerData(c, across)))}</th>"
                       for c in range(cols))
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(self.model.text(row, c))}</td>"
                             for c in range(cols)) + "</tr>" for row in self.model.rows)
        title = html.escape(self._title(self.report)) if self.report else ""
        return (f"<h3>{title}</h3><table border='1' cellspacing='0' cellpadding='3' "
                f"width='100%'><tr>{head}</tr>{body}</table>")


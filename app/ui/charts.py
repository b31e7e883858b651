"""Horizontal bar charts drawn with QPainter (no QtCharts): on screen and into the PDF export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.ui.theme import Palette

SERIES_COLOURS = ("#1f6f78", "#e39b3a", "#6a5acd", "#2e9d5b")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    colour: str
    fmt: Callable[[float], str] | None = None
    """The bar's value label; None: the chart's."""


@dataclass(frozen=True)
class ChartSpec:
    """One chart: a bar group per label (an agent), one bar per series, an optional dashed
    reference line (the team's standard) and the scale's maximum (None: from the data)."""

    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    reference: float | None = None
    maximum: float | None = None
    fmt: Callable[[float], str] = field(default=lambda v: f"{v:g}")

    def top(self) -> float:
        values = [v for s in self.series for v in s.values if v is not None]
        if self.reference is not None:
            values.append(self.reference)
        return self.maximum or max(values, default=0.0) * 1.1 or 1.0


BAR_H = 12.0
GAP = 8.0


def chart_height(spec: ChartSpec, font: QFont) -> float:
    line = QFontMetricsF(font).height()
    group = max(line, BAR_H * len(spec.series))
    return line * 2.6 + len(spec.labels) * (group + GAP) + line


def paint_chart(painter: QPainter, rect: QRectF, spec: ChartSpec, palette: Palette,
                font: QFont) -> None:
    """Draws `spec` inside `rect` with `painter` (a widget's or a QPdfWriter's)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    line = metrics.height()
    text_pen = QPen(QColor(palette.text))
    muted = QPen(QColor(palette.muted))
    painter.setPen(text_pen)
    bold = QFont(font)
    bold.setBold(True)
    painter.setFont(bold)
    painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), line),
                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, spec.title)
    painter.setFont(font)
    # legend
    x = rect.left()
    legend_y = rect.top() + line * 1.2
    for s in spec.series:
        painter.fillRect(QRectF(x, legend_y + line * 0.25, line * 0.5, line * 0.5),
                         QColor(s.colour))
        painter.setPen(muted)
        width = metrics.horizontalAdvance(s.name)
        painter.drawText(QRectF(x + line * 0.7, legend_y, width + 4, line),
                         Qt.AlignmentFlag.AlignVCenter, s.name)
        x += line * 1.2 + width + 10
    label_w = min(rect.width() * 0.3, max((metrics.horizontalAdvance(t) for t in spec.labels),
                                          default=0.0) + 8)
    value_w = metrics.horizontalAdvance("00000.0") + 6
    left = rect.left() + label_w
    plot_w = max(10.0, rect.width() - label_w - value_w)
    top = rect.top() + line * 2.6
    group = max(line, BAR_H * len(spec.series))
    scale = plot_w / spec.top()
    for i, label in enumerate(spec.labels):
        y = top + i * (group + GAP)
        painter.setPen(text_pen)
        painter.drawText(QRectF(rect.left(), y, label_w - 6, group),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(label, Qt.TextElideMode.ElideRight, label_w - 6))
        bar_y = y + (group - BAR_H * len(spec.series)) / 2
        for s in spec.series:
            value = s.values[i] if i < len(s.values) else None
            if value is not None:
                width = max(1.0, value * scale)
                painter.fillRect(QRectF(left, bar_y + 1, width, BAR_H - 2), QColor(s.colour))
                painter.setPen(muted)
                painter.drawText(QRectF(left + width + 3, bar_y - 2, value_w, BAR_H + 4),
                                 Qt.AlignmentFlag.AlignVCenter, (s.fmt or spec.fmt)(value))
            bar_y += BAR_H
    bottom = top + len(spec.labels) * (group + GAP)
    axis = QPen(QColor(palette.divider))
    painter.setPen(axis)
    painter.drawLine(int(left), int(top - 2), int(left), int(bottom))
    if spec.reference is not None:
        ref_x = left + spec.reference * scale
        pen = QPen(QColor(palette.danger))
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setWidthF(1.5)
        painter.setPen(pen)
        painter.drawLine(int(ref_x), int(top - 4), int(ref_x), int(bottom))
        painter.drawText(QRectF(ref_x + 3, bottom, value_w * 2, line),
                         Qt.AlignmentFlag.AlignVCenter, spec.fmt(spec.reference))
    painter.restore()


class BarChart(QWidget):
    """A widget showing one ChartSpec; its height follows the number of labels."""

    def __init__(self, palette: Palette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.palette_ = palette
        self.spec: ChartSpec | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_spec(self, spec: ChartSpec | None) -> None:
        self.spec = spec
        self.setFixedHeight(int(chart_height(spec, self.font())) if spec else 40)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(360, self.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.spec is None:
            return
        painter = QPainter(self)
        paint_chart(painter, QRectF(self.rect()).adjusted(6, 4, -6, -4), self.spec,
                    self.palette_, self.font())
        painter.end()


def series(name: str, values: Sequence[float | None], index: int,
           fmt: Callable[[float], str] | None = None) -> Series:
    return Series(name, tuple(values), SERIES_COLOURS[index % len(SERIES_COLOURS)], fmt)

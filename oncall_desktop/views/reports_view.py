"""The Reports tab (SPEC §12): the fairness report for a chosen span and rules, as charts and tables.

A stacked bar per person splits their on-call hours into day, night, weekend and holiday (each hour
in one segment, holiday before weekend before night); a line per rule shows its mean time to
acknowledge (or to resolve) per week or month; the tables list every figure of `report --json`.
The charts are QtCharts (PySide6-Addons, already a dependency for the alarm sound): native Qt
painting, so the charts follow the light or dark palette and export with `grab()` like any widget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QAbstractTableModel, QDate, QDateTime, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration
from oncall_desktop.fairness import PersonFigures, Report, fairness_report, people_csv, rules_csv
from oncall_desktop.store import Store

SEGMENTS = ("Day", "Night", "Weekend", "Holiday")
# Mid-tone colours that read on a light and on a dark chart background alike.
SEGMENT_COLOURS = ("#4e79a7", "#6b4fa0", "#f28e2b", "#e15759")
DEFAULT_DAYS = 90
Index = QModelIndex | QPersistentModelIndex


class _FiguresModel(QAbstractTableModel):
    """A thin table over a report's rows: `columns` are (header, getter)."""

    def __init__(self, columns: Sequence[tuple[str, Callable[[Any], object]]], parent: QWidget | None = None):
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        value = self.columns[index.column()][1](self.rows[index.row()])
        if role == Qt.ItemDataRole.DisplayRole:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0]
        return None


def _hours(value: float) -> str:
    return f"{value:.1f}"


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} min"


class ReportsView(QWidget):
    """Span and rule pickers, the two charts, the two tables, and the exports."""

    def __init__(
        self,
        store: Store,
        configuration: Callable[[], Configuration],
        now: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.configuration = configuration
        self.now = now
        self.report: Report | None = None
        self.config = Configuration()
        self.excluded: set[str] = set()

        today = now().astimezone(timeutil.zone(timeutil.system_zone_name())).date()
        self.start_edit = QDateEdit(_qdate(today - timedelta(days=DEFAULT_DAYS)))
        self.end_edit = QDateEdit(_qdate(today))
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(lambda _d: self.refresh())
        self.rules_button = QToolButton()
        self.rules_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.rules_menu = QMenu(self.rules_button)
        self.rules_button.setMenu(self.rules_menu)
        self.metric_choice = QComboBox()
        self.metric_choice.addItems(["Mean time to acknowledge", "Mean time to resolve"])
        self.metric_choice.currentIndexChanged.connect(lambda _i: self._draw_trend())
        self.png_button = QPushButton("Export chart…")
        self.csv_button = QPushButton("Export table…")
        self.png_button.clicked.connect(self._ask_png)
        self.csv_button.clicked.connect(self._ask_csv)
        self.message = QLabel()
        self.message.setWordWrap(True)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("From"))
        bar.addWidget(self.start_edit)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.end_edit)
        bar.addWidget(self.rules_button)
        bar.addStretch(1)
        bar.addWidget(self.png_button)
        bar.addWidget(self.csv_button)

        self.hours_chart = QChart()
        self.hours_chart.setTitle("On-call hours per person")
        self.hours_view = QChartView(self.hours_chart)
        self.hours_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.hours_view.setMinimumHeight(260)
        self.trend_chart = QChart()
        self.trend_view = QChartView(self.trend_chart)
        self.trend_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.trend_view.setMinimumHeight(220)
        trend_box = QWidget()
        trend_layout = QVBoxLayout(trend_box)
        trend_layout.setContentsMargins(0, 0, 0, 0)
        trend_layout.addWidget(self.metric_choice, 0, Qt.AlignmentFlag.AlignLeft)
        trend_layout.addWidget(self.trend_view)
        self.charts = QSplitter(Qt.Orientation.Horizontal)
        self.charts.addWidget(self.hours_view)
        self.charts.addWidget(trend_box)
        self.charts.setSizes([600, 500])

        self.people_model = _FiguresModel(
            [
                ("Person", lambda p: self.config.display_name(p.person)),
                ("Hours", lambda p: _hours(p.hours)),
                ("Night", lambda p: _hours(p.night_hours)),
                ("Weekend", lambda p: _hours(p.weekend_hours)),
                ("Holiday", lambda p: _hours(p.holiday_hours)),
                ("Shifts", lambda p: p.shifts),
                ("Pages", lambda p: p.pages),
                ("Acks", lambda p: p.acks),
                ("Median ack", lambda p: _minutes(p.median_ack_seconds)),
            ],
            self,
        )
        self.rules_model = _FiguresModel(
            [
                ("Rule", lambda r: self._rule_name(r.rule)),
                ("Incidents", lambda r: r.incidents),
                ("MTTA", lambda r: _minutes(r.mtta_seconds)),
                ("MTTR", lambda r: _minutes(r.mttr_seconds)),
            ],
            self,
        )
        self.people_table = _table(self.people_model)
        self.rules_table = _table(self.rules_model)
        tables = QSplitter(Qt.Orientation.Horizontal)
        tables.addWidget(self.people_table)
        tables.addWidget(self.rules_table)
        tables.setSizes([700, 400])

        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.charts)
        body.addWidget(tables)
        body.setSizes([420, 260])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(body, 1)
        self.refresh()

    # -- choices ---------------------------------------------------------------------------------

    def span(self) -> tuple[datetime, datetime]:
        """From the first day's midnight to the midnight after the last, in the system's zone."""
        tz = timeutil.zone(timeutil.system_zone_name())
        first = self.start_edit.date().toPython()
        last = self.end_edit.date().toPython()
        assert isinstance(first, date)
        assert isinstance(last, date)
        start = timeutil.resolve_wall(datetime.combine(first, datetime.min.time()), tz)
        end = timeutil.resolve_wall(datetime.combine(last + timedelta(days=1), datetime.min.time()), tz)
        return start, end

    def set_span(self, first: date, last: date) -> None:
        for edit, day in ((self.start_edit, first), (self.end_edit, last)):
            edit.blockSignals(True)
            edit.setDate(_qdate(day))
            edit.blockSignals(False)
        self.refresh()

    def chosen_rules(self) -> list[str]:
        return [r.id for r in self.config.rules if r.id not in self.excluded]

    def set_rule_shown(self, rule_id: str, shown: bool) -> None:
        if shown:
            self.excluded.discard(rule_id)
        else:
            self.excluded.add(rule_id)
        self.refresh()

    def _rebuild_rules_menu(self) -> None:
        self.rules_menu.clear()
        for rule in self.config.rules:
            action = QAction(rule.name or rule.id, self.rules_menu)
            action.setCheckable(True)
            action.setChecked(rule.id not in self.excluded)
            action.toggled.connect(lambda on, rid=rule.id: self.set_rule_shown(rid, on))
            self.rules_menu.addAction(action)
        shown = len(self.chosen_rules())
        total = len(self.config.rules)
        self.rules_button.setText("Rules: all" if shown == total else f"Rules: {shown} of {total}")

    # -- computing and drawing ---------------------------------------------------------------------

    def refresh(self) -> None:
        self.config = self.configuration()
        self.excluded &= {r.id for r in self.config.rules}
        self._rebuild_rules_menu()
        start, end = self.span()
        if end <= start:
            self.message.setText("The span ends before it starts: pick a later “to” date.")
            self.message.show()
            return
        if end - start > timedelta(days=2 * 366):
            self.message.setText("A report covers at most two years: pick a shorter span.")
            self.message.show()
            return
        self.message.hide()
        self.report = fairness_report(
            self.config,
            start,
            end,
            self.store.planning.report_incidents(start, end),
            self.store.planning.pages_sent(start, end),
            rules=self.chosen_rules(),
        )
        self.people_model.set_rows([p for p in self.report.people if p.hours or p.pages or p.acks])
        self.rules_model.set_rows(self.report.rules)
        self._draw_hours()
        self._draw_trend()

    def _theme(self, chart: QChart) -> None:
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        chart.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Base))
        chart.setTitleBrush(self.palette().color(QPalette.ColorRole.Text))
        chart.legend().setLabelColor(self.palette().color(QPalette.ColorRole.Text))

    def _axis_colours(self, *axes: Any) -> None:
        text = self.palette().color(QPalette.ColorRole.Text)
        for axis in axes:
            axis.setLabelsColor(text)
            axis.setTitleBrush(text)

    def _draw_hours(self) -> None:
        chart = self.hours_chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self._theme(chart)
        rows: list[PersonFigures] = list(reversed(self.people_model.rows))  # first person on top
        series = QHorizontalStackedBarSeries()
        for k, (name, colour) in enumerate(zip(SEGMENTS, SEGMENT_COLOURS, strict=True)):
            bar_set = QBarSet(name)
            bar_set.setColor(QColor(colour))
            bar_set.setBorderColor(QColor(colour))
            bar_set.append([p.segments[k] for p in rows])
            series.append(bar_set)
        chart.addSeries(series)
        people = QBarCategoryAxis()
        people.append([self.config.display_name(p.person) for p in rows] or [""])
        hours = QValueAxis()
        hours.setTitleText("hours")
        hours.setLabelFormat("%d")
        chart.addAxis(people, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(hours, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(people)
        series.attachAxis(hours)
        hours.setRange(0, max((p.hours for p in rows), default=0.0) or 1.0)
        hours.applyNiceNumbers()
        self._axis_colours(people, hours)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)

    def _draw_trend(self) -> None:
        chart = self.trend_chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self._theme(chart)
        resolve = self.metric_choice.currentIndex() == 1
        chart.setTitle(("MTTR" if resolve else "MTTA") + " per rule over time")
        if self.report is None:
            return
        axis_x = QDateTimeAxis()
        axis_x.setFormat("d MMM")
        axis_x.setRange(_qdatetime(self.report.start), _qdatetime(self.report.end))
        axis_y = QValueAxis()
        axis_y.setTitleText("minutes")
        axis_y.setLabelFormat("%d")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        highest = 1.0
        for rule in self.report.rules:
            points = [t for t in self.report.trend if t.rule == rule.rule]
            values = [(t, t.mttr_seconds if resolve else t.mtta_seconds) for t in points]
            if not any(v is not None for _, v in values):
                continue
            line = QLineSeries()
            line.setName(self._rule_name(rule.rule))
            for point, value in values:
                if value is not None:
                    middle = point.start + (point.end - point.start) / 2
                    line.append(_qdatetime(middle).toMSecsSinceEpoch(), value / 60)
                    highest = max(highest, value / 60)
            chart.addSeries(line)
            line.attachAxis(axis_x)
            line.attachAxis(axis_y)
        axis_y.setRange(0, max(highest * 1.1, 5.0))  # whole minutes on the axis, even with no incidents
        axis_y.applyNiceNumbers()
        self._axis_colours(axis_x, axis_y)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        if not chart.series():
            chart.setTitle(chart.title() + " — no incidents in this span")

    def _rule_name(self, rule_id: str) -> str:
        rule = self.config.rule(rule_id)
        return rule.name if rule and rule.name else rule_id

    # -- exports ---------------------------------------------------------------------------------

    def export_png(self, path: str | Path) -> bool:
        """Both charts, side by side as shown, as a PNG."""
        return bool(self.charts.grab().save(str(path), "PNG"))

    def export_csv(self, path: str | Path) -> None:
        """The people table, a blank line, the rules table (what `report --csv` prints)."""
        if self.report is None:
            return
        Path(path).write_text(people_csv(self.report) + "\n" + rules_csv(self.report), encoding="utf-8")

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export chart", "oncall-report.png", "PNG image (*.png)")
        if path and not self.export_png(path):
            QMessageBox.warning(self, "Not exported", f"Could not write {path}")

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export table", "oncall-report.csv", "CSV (*.csv)")
        if not path:
            return
        try:
            self.export_csv(path)
        except OSError as error:
            QMessageBox.warning(self, "Not exported", f"Could not write {path}: {error.strerror or error}")


def _table(model: QAbstractTableModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _qdatetime(instant: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(instant.timestamp() * 1000))

"""Editors for a rule, a person and a team.

Each editor builds the edited object, runs the core validator on the configuration as it would be
after saving, and shows each problem under the field its path names. Errors keep OK disabled; the
caller pushes the undoable save.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import (
    DEFAULT_RULE_ID,
    ROTATION_PERIODS,
    WEEKDAYS,
    Channel,
    Configuration,
    EscalationLevel,
    MatchConditions,
    OnCallRule,
    Person,
    Rotation,
    Team,
    Window,
)
from oncall_desktop.person_colours import next_colour
from oncall_desktop.summaries import ladder_lines
from oncall_desktop.timeutil import system_zone_name
from oncall_desktop.validation import Problem, validate_configuration
from oncall_desktop.views.zone_picker import ZonePicker

_WINDOW = re.compile(r"(?P<days>[a-z,\-]+)\s+(?P<start>\d\d:\d\d)\s*-\s*(?P<end>\d\d:\d\d)\Z")


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_windows(text: str) -> tuple[Window, ...]:
    """`mon-fri 09:00-18:00; sat,sun 10:00-14:00` → windows; ValueError saying what is wrong."""
    windows = []
    for chunk in (c.strip().lower() for c in text.split(";")):
        if not chunk:
            continue
        found = _WINDOW.match(chunk)
        if not found:
            raise ValueError(f"{chunk!r}: write days and times like mon-fri 09:00-18:00")
        days: list[int] = []
        for part in found["days"].split(","):
            first, _, last = part.partition("-")
            if first not in WEEKDAYS or (last and last not in WEEKDAYS):
                raise ValueError(f"{part!r}: days are {', '.join(WEEKDAYS)}")
            lo, hi = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
            days.extend(range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(hi + 1)])
        try:
            start, end = time.fromisoformat(found["start"]), time.fromisoformat(found["end"])
        except ValueError:
            raise ValueError(f"{chunk!r}: times are HH:MM from 00:00 to 23:59") from None
        windows.append(Window(tuple(dict.fromkeys(days)), start, end))
    return tuple(windows)


def format_windows(windows: tuple[Window, ...]) -> str:
    return "; ".join(
        f"{','.join(WEEKDAYS[d] for d in w.days)} {w.start:%H:%M}-{w.end:%H:%M}" for w in windows
    )


class _ValidatedForm(QDialog):
    """A form whose rows each carry a message line for the validator's findings."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.messages: dict[str, QLabel] = {}
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    def add_row(self, key: str, label: str, widget: QWidget) -> None:
        message = QLabel()
        message.setWordWrap(True)
        message.setVisible(False)
        message.setObjectName(f"problem-{key}")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        column.addWidget(message)
        self.form.addRow(label, box)
        self.messages[key] = message

    def show_problems(self, problems: list[tuple[str, Problem]]) -> None:
        """(field key, problem) pairs: errors in red, warnings in amber; errors disable OK."""
        by_key: dict[str, list[Problem]] = {}
        for key, problem in problems:
            by_key.setdefault(key if key in self.messages else next(iter(self.messages)), []).append(problem)
        for key, label in self.messages.items():
            found = by_key.get(key, [])
            label.setVisible(bool(found))
            errors = any(p.level == "error" for p in found)
            label.setStyleSheet(f"color: {'#c00000' if errors else '#a06000'};")
            label.setText("\n".join(f"{p.level}: {p.reason}" for p in found))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not any(p.level == "error" for _key, p in problems))


def _field_problems(problems: list[Problem], prefix: str) -> list[tuple[str, Problem]]:
    """The problems under `prefix` (like `rules[2]`), keyed by the field right after it."""
    found = []
    for problem in problems:
        if problem.path == prefix or problem.path.startswith((prefix + ".", prefix + "[")):
            rest = problem.path[len(prefix) :].lstrip(".")
            found.append((re.split(r"[.\[]", rest)[0] if rest else "id", problem))
    return found


class RuleEditorDialog(_ValidatedForm):
    """Every field of a rule except the ladder, which has its own editor (its summary shows here)."""

    def __init__(self, config: Configuration, rule: OnCallRule | None, parent: QWidget | None = None) -> None:
        super().__init__("New rule" if rule is None else f"Edit rule {rule.name}", parent)
        self.config = config
        self.original = rule
        self.resize(560, 600)
        base = rule or OnCallRule(id="", name="", timezone=system_zone_name())
        self.id_edit = QLineEdit(base.id)
        self.id_edit.setReadOnly(rule is not None)
        self.name_edit = QLineEdit(base.name)
        self.zone_picker = ZonePicker(include_local=False)
        self.zone_picker.set_zone(base.timezone)
        self.start_check, self.start_edit = self._moment(base.effective_start, "from")
        self.end_check, self.end_edit = self._moment(base.effective_end, "until")
        self.windows_edit = QLineEdit(format_windows(base.windows))
        self.windows_edit.setPlaceholderText(
            "all day, every day — or e.g. mon-fri 09:00-18:00; sat 10:00-14:00"
        )
        self.match_mode = QComboBox()
        self.match_mode.addItems(["all", "any"])
        self.match_mode.setCurrentText(base.match.mode)
        self.match_edit = QLineEdit(", ".join(base.match.conditions))
        self.match_edit.setPlaceholderText("service:payment*, env:prod — empty: untagged incidents")
        self.personnel_edit = QLineEdit(", ".join(base.personnel))
        known = [p.id for p in config.people] + [f"team:{t.id}" for t in config.teams]
        self.personnel_edit.setPlaceholderText(", ".join(known[:6]))
        self.personnel_edit.setToolTip("In order; a team is written team:<id>. Known: " + ", ".join(known))
        self.period = QComboBox()
        self.period.addItems(["none (everyone together)", *ROTATION_PERIODS])
        self.every = QSpinBox()
        self.every.setRange(1, 1000)
        self.handoff = QTimeEdit()
        self.handoff.setDisplayFormat("HH:mm")
        self.anchor = QDateEdit()
        self.anchor.setCalendarPopup(True)
        self.anchor.setDisplayFormat("yyyy-MM-dd")
        rotation = base.rotation
        today = datetime.now(UTC).date()
        if rotation is not None:
            self.period.setCurrentText(rotation.period)
        self.every.setValue(rotation.every if rotation else 1)
        handoff = rotation.handoff if rotation else time(9, 0)
        self.handoff.setTime(QTime(handoff.hour, handoff.minute))
        anchor = rotation.anchor if rotation else today
        self.anchor.setDate(QDate(anchor.year, anchor.month, anchor.day))
        rotation_row = QWidget()
        row = QHBoxLayout(rotation_row)
        row.setContentsMargins(0, 0, 0, 0)
        for label, widget in (
            ("", self.period),
            ("every", self.every),
            ("at", self.handoff),
            ("from", self.anchor),
        ):
            if label:
                row.addWidget(QLabel(label))
            row.addWidget(widget)
        match_row = QWidget()
        row = QHBoxLayout(match_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.match_mode)
        row.addWidget(self.match_edit, 1)
        effective_row = QWidget()
        row = QHBoxLayout(effective_row)
        row.setContentsMargins(0, 0, 0, 0)
        for moment in (self.start_check, self.start_edit, self.end_check, self.end_edit):
            row.addWidget(moment)
        self.ladder_label = QLabel()
        self.ladder_label.setWordWrap(True)
        self.add_row("id", "ID", self.id_edit)
        self.add_row("name", "Name", self.name_edit)
        self.add_row("timezone", "Time zone", self.zone_picker)
        self.add_row("effective", "Effective", effective_row)
        self.add_row("windows", "Weekly windows", self.windows_edit)
        self.add_row("match", "Match", match_row)
        self.add_row("personnel", "Personnel", self.personnel_edit)
        self.add_row("rotation", "Rotation", rotation_row)
        self.add_row("escalation", "Escalation ladder", self.ladder_label)
        if base.is_default:
            fixed: tuple[QWidget, ...] = (self.name_edit, self.zone_picker, effective_row, self.windows_edit)
            for part in (*fixed, match_row):
                part.setEnabled(False)
        for edit in (self.id_edit, self.name_edit, self.windows_edit, self.match_edit, self.personnel_edit):
            edit.textChanged.connect(self.revalidate)
        for combo in (self.match_mode, self.period):
            combo.currentIndexChanged.connect(self.revalidate)
        self.zone_picker.currentTextChanged.connect(self.revalidate)
        for check in (self.start_check, self.end_check):
            check.toggled.connect(self.revalidate)
        for dt in (self.start_edit, self.end_edit):
            dt.dateTimeChanged.connect(self.revalidate)
        self.every.valueChanged.connect(self.revalidate)
        self.handoff.timeChanged.connect(self.revalidate)
        self.anchor.dateChanged.connect(self.revalidate)
        self.revalidate()

    @staticmethod
    def _moment(value: datetime | None, label: str) -> tuple[QCheckBox, QDateTimeEdit]:
        check = QCheckBox(label)
        edit = QDateTimeEdit()
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setCalendarPopup(True)
        check.setChecked(value is not None)
        shown = value.replace(tzinfo=None) if value else datetime.now(UTC).replace(tzinfo=None, second=0)
        edit.setDateTime(
            QDateTime(QDate(shown.year, shown.month, shown.day), QTime(shown.hour, shown.minute))
        )
        edit.setEnabled(value is not None)
        check.toggled.connect(edit.setEnabled)
        return check, edit

    @staticmethod
    def _wall(edit: QDateTimeEdit) -> datetime:
        d, t = edit.date(), edit.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())

    def rule(self) -> OnCallRule:
        """The rule as the form describes it (windows that do not parse are left out)."""
        base = self.original or OnCallRule(id="", name="", timezone=system_zone_name())
        try:
            windows = parse_windows(self.windows_edit.text())
        except ValueError:
            windows = base.windows
        rotation = None
        if self.period.currentIndex() > 0:
            q = self.anchor.date()
            t = self.handoff.time()
            rotation = Rotation(
                self.period.currentText(),  # type: ignore[arg-type]
                self.every.value(),
                time(t.hour(), t.minute()),
                date(q.year(), q.month(), q.day()),
            )
        personnel = _split(self.personnel_edit.text())
        escalation = base.escalation
        if personnel and not escalation:
            escalation = (EscalationLevel(channels={"*": (Channel.SMS, Channel.EMAIL)}, repeat=5),)
        if not personnel:
            escalation = ()
        start = self._wall(self.start_edit) if self.start_check.isChecked() else None
        end = self._wall(self.end_edit) if self.end_check.isChecked() else None
        if base.effective_start is not None and start is not None and base.effective_start.tzinfo is not None:
            start = start.replace(tzinfo=base.effective_start.tzinfo)
        if base.effective_end is not None and end is not None and base.effective_end.tzinfo is not None:
            end = end.replace(tzinfo=base.effective_end.tzinfo)
        if base.is_default:
            return replace(base, personnel=personnel, rotation=rotation, escalation=escalation)
        return replace(
            base,
            id=self.id_edit.text().strip(),
            name=self.name_edit.text().strip(),
            timezone=self.zone_picker.current_zone(),
            effective_start=start,
            effective_end=end,
            windows=windows,
            match=MatchConditions(
                "any" if self.match_mode.currentText() == "any" else "all", _split(self.match_edit.text())
            ),
            personnel=personnel,
            rotation=rotation,
            escalation=escalation,
        )

    def revalidate(self) -> None:
        rule = self.rule()
        lines = ladder_lines(rule, self.config)
        self.ladder_label.setText("\n".join(lines if self.original else [*lines, "(edit it after saving)"]))
        rules = list(self.config.rules)
        index = next(
            (i for i, r in enumerate(rules) if r.id == (self.original.id if self.original else None)), None
        )
        if index is None:
            index = max(0, len(rules) - 1) if rules and rules[-1].is_default else len(rules)
            rules.insert(index, rule)
        else:
            rules[index] = rule
        problems = _field_problems(
            validate_configuration(replace(self.config, rules=tuple(rules))), f"rules[{index}]"
        )
        try:
            parse_windows(self.windows_edit.text())
        except ValueError as exc:
            problems.append(("windows", Problem("error", f"rules[{index}].windows", str(exc))))
        # A new rule goes before the default one, so the validator marks a duplicate "default" on
        # the default rule's id rather than on this one.
        if self.original is None and rule.id == DEFAULT_RULE_ID:
            problems.append(("id", Problem("error", f"rules[{index}].id", "the default rule exists")))
        self.show_problems(problems)


class PersonEditorDialog(_ValidatedForm):
    def __init__(self, config: Configuration, person: Person | None, parent: QWidget | None = None) -> None:
        super().__init__("New person" if person is None else f"Edit {person.name}", parent)
        self.config = config
        self.original = person
        self.resize(480, 380)
        # A new person is shown the colour they will keep: one nobody else has.
        base = person or Person(id="", name="", colour=next_colour(p.colour for p in config.people))
        self.edits: dict[str, QLineEdit] = {}
        labels = {
            "id": "ID",
            "name": "Name",
            "email": "Email",
            "phone": "Phone (E.164)",
            "oncall_email": "Paging email",
            "oncall_phone": "Paging phone (E.164)",
            "colour": "Colour (#rrggbb)",
        }
        for key, label in labels.items():
            edit = QLineEdit(getattr(base, key) or "")
            edit.textChanged.connect(self.revalidate)
            self.edits[key] = edit
            if key == "phone":
                edit.setPlaceholderText("+14155550101")
            self.add_row(key, label, edit)
            if key == "oncall_phone":
                self.zone_picker = ZonePicker(include_local=False)
                self.zone_picker.set_zone(base.timezone or "")
                self.zone_picker.currentTextChanged.connect(self.revalidate)
                self.add_row("timezone", "Time zone", self.zone_picker)
        self.edits["id"].setReadOnly(person is not None)
        self.revalidate()

    def person(self) -> Person:
        def value(key: str) -> str | None:
            return self.edits[key].text().strip() or None

        return Person(
            id=self.edits["id"].text().strip(),
            name=self.edits["name"].text().strip(),
            email=value("email"),
            phone=value("phone"),
            oncall_email=value("oncall_email"),
            oncall_phone=value("oncall_phone"),
            timezone=self.zone_picker.current_zone() or None,
            colour=value("colour"),
        )

    def revalidate(self) -> None:
        person = self.person()
        people = list(self.config.people)
        index = next((i for i, p in enumerate(people) if self.original and p.id == self.original.id), None)
        if index is None:
            index = len(people)
            people.append(person)
        else:
            people[index] = person
        problems = _field_problems(
            validate_configuration(replace(self.config, people=tuple(people))), f"people[{index}]"
        )
        self.show_problems(problems)


class TeamEditorDialog(_ValidatedForm):
    def __init__(self, config: Configuration, team: Team | None, parent: QWidget | None = None) -> None:
        super().__init__("New team" if team is None else f"Edit team {team.name}", parent)
        self.config = config
        self.original = team
        base = team or Team(id="", name="")
        self.id_edit = QLineEdit(base.id)
        self.id_edit.setReadOnly(team is not None)
        self.name_edit = QLineEdit(base.name)
        self.members_edit = QLineEdit(", ".join(base.members))
        self.members_edit.setToolTip("Person ids in order: " + ", ".join(p.id for p in config.people))
        self.add_row("id", "ID", self.id_edit)
        self.add_row("name", "Name", self.name_edit)
        self.add_row("members", "Members", self.members_edit)
        for edit in (self.id_edit, self.name_edit, self.members_edit):
            edit.textChanged.connect(self.revalidate)
        self.revalidate()

    def team(self) -> Team:
        return Team(
            self.id_edit.text().strip(), self.name_edit.text().strip(), _split(self.members_edit.text())
        )

    def revalidate(self) -> None:
        team = self.team()
        teams = list(self.config.teams)
        index = next((i for i, t in enumerate(teams) if self.original and t.id == self.original.id), None)
        if index is None:
            index = len(teams)
            teams.append(team)
        else:
            teams[index] = team
        problems = _field_problems(
            validate_configuration(replace(self.config, teams=tuple(teams))), f"teams[{index}]"
        )
        self.show_problems(problems)

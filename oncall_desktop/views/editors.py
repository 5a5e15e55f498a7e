"""Editors for a person and a team (the rule editor is `rule_editor`).

Each editor builds the edited object, runs the core validator on the configuration as it would be
after saving, and shows each problem under the field its path names. Errors keep OK disabled; the
caller pushes the undoable save.
"""

from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import (
    Configuration,
    Person,
    Team,
)
from oncall_desktop.person_colours import next_colour
from oncall_desktop.validation import Problem, validate_configuration
from oncall_desktop.views.person_chat import ChatUrlsField
from oncall_desktop.views.zone_picker import ZonePicker


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


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


class PersonEditorDialog(_ValidatedForm):
    def __init__(self, config: Configuration, person: Person | None, parent: QWidget | None = None) -> None:
        super().__init__("New person" if person is None else f"Edit {person.name}", parent)
        self.config = config
        self.original = person
        self.resize(520, 420)
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
            "holidays": "Public holidays (country, e.g. DE-BY)",
        }
        for key, label in labels.items():
            edit = QLineEdit(getattr(base, key) or "")
            edit.textChanged.connect(self.revalidate)
            self.edits[key] = edit
            if key == "phone":
                edit.setPlaceholderText("+14155550101")
            if key == "holidays":
                edit.setPlaceholderText("none: an ISO country code, with a subdivision as XX-YY")
            self.add_row(key, label, edit)
            if key == "oncall_phone":
                self.zone_picker = ZonePicker(include_local=False)
                self.zone_picker.set_zone(base.timezone or "")
                self.zone_picker.currentTextChanged.connect(self.revalidate)
                self.add_row("timezone", "Time zone", self.zone_picker)
        self.chat = ChatUrlsField(person.id if person else None)
        self.chat.edit.textChanged.connect(self.revalidate)
        self.add_row("chat", "Chat URLs (Apprise)", self.chat)
        self.base_chat = base.chat
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
            chat=bool(self.chat.urls()) if self.chat.readable else self.base_chat,
            holidays=value("holidays"),
        )

    def chat_urls(self) -> tuple[str, str] | None:
        """(stored, new) chat URLs when they were edited, else None."""
        return (self.chat.stored, self.chat.value()) if self.chat.changed() else None

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

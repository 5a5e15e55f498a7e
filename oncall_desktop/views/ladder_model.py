"""The escalation ladder being edited, and the undoable commands that change it.

The ladder is a tuple of frozen `EscalationLevel`s. Every edit is a pure function from one tuple to
the next (the `with_*` functions below); `LadderEdit` wraps one such step as a `QUndoCommand`
that stores the tuple before and after, so undo and redo restore the exact ladder. Spin-box edits
of one field on one level merge into a single command while they are consecutive.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from oncall_desktop.domain import (
    TEAM_PREFIX,
    Channel,
    Configuration,
    EscalationLevel,
    OnCallRule,
    Severity,
    Status,
    Target,
)
from oncall_desktop.validation import MAX_WAIT_MINUTES

Ladder = tuple[EscalationLevel, ...]

TARGET_MIME = "application/x-oncall-target"
"""Drag payload naming a person id or `team:<id>`."""
TARGET_SOURCE_MIME = "application/x-oncall-target-source"
"""Present when a target chip is dragged off a level: that level's index."""
LEVEL_MIME = "application/x-oncall-level"
"""Drag payload of a level card: its index."""

CHANNEL_ORDER = (Channel.SMS, Channel.VOICE, Channel.EMAIL, Channel.CHAT)
CHANNEL_LABELS = {Channel.SMS: "SMS", Channel.VOICE: "Voice", Channel.EMAIL: "Email", Channel.CHAT: "Chat"}
EDITABLE_STATUSES = (Status.OPEN, Status.WORKING)

# Merge ids for QUndoCommand.id(): consecutive edits of one spin box merge.
_MERGE_WAIT = 1
_MERGE_REPEAT = 2


def ordered_channels(channels: Collection[Channel]) -> tuple[Channel, ...]:
    return tuple(c for c in CHANNEL_ORDER if c in channels)


def target_label(config: Configuration, target: str) -> str:
    """What a user calls a target: the person's or the team's name."""
    name = config.display_name(target)
    return f"Team {name}" if target.startswith(TEAM_PREFIX) and name != target else name


# -- pure edits ----------------------------------------------------------------------------------


def _put(ladder: Ladder, index: int, level: EscalationLevel) -> Ladder:
    return (*ladder[:index], level, *ladder[index + 1 :])


def with_wait(ladder: Ladder, index: int, wait: int) -> Ladder:
    return _put(ladder, index, replace(ladder[index], wait=wait))


def with_repeat(ladder: Ladder, index: int, repeat: int | None) -> Ladder:
    return _put(ladder, index, replace(ladder[index], repeat=repeat))


def with_severity(ladder: Ladder, index: int, severity: Severity, on: bool) -> Ladder:
    level = ladder[index]
    chosen = level.severities | {severity} if on else level.severities - {severity}
    return _put(ladder, index, replace(level, severities=frozenset(chosen)))


def with_status(ladder: Ladder, index: int, status: Status, on: bool) -> Ladder:
    level = ladder[index]
    chosen = level.statuses | {status} if on else level.statuses - {status}
    return _put(ladder, index, replace(level, statuses=frozenset(chosen)))


def with_level0_channels(ladder: Ladder, key: str, channels: tuple[Channel, ...] | None) -> Ladder:
    """Level 0's channels for `key` (a person id or "*"); `None` drops a person's own channels."""
    mapping: dict[str, tuple[Channel, ...]] = dict(ladder[0].channels)
    if channels is None:
        mapping.pop(key, None)
    else:
        mapping[key] = ordered_channels(channels)
    return _put(ladder, 0, replace(ladder[0], channels=mapping))


def with_target_channels(ladder: Ladder, index: int, target: str, channels: tuple[Channel, ...]) -> Ladder:
    level = ladder[index]
    add = tuple(Target(t.target, ordered_channels(channels)) if t.target == target else t for t in level.add)
    return _put(ladder, index, replace(level, add=add))


def with_target(ladder: Ladder, index: int, target: Target) -> Ladder:
    level = ladder[index]
    if any(t.target == target.target for t in level.add):
        return ladder
    return _put(ladder, index, replace(level, add=(*level.add, target)))


def without_target(ladder: Ladder, index: int, target: str) -> Ladder:
    level = ladder[index]
    return _put(ladder, index, replace(level, add=tuple(t for t in level.add if t.target != target)))


def with_target_moved(ladder: Ladder, source: int, dest: int, target: str) -> Ladder:
    """Move a target, with its channels, from one level to another (no-op if already there)."""
    found = next((t for t in ladder[source].add if t.target == target), None)
    if found is None or source == dest or any(t.target == target for t in ladder[dest].add):
        return ladder
    return with_target(without_target(ladder, source, target), dest, found)


def with_level_moved(ladder: Ladder, source: int, dest: int) -> Ladder:
    """Move a whole level card (its wait included; validation re-checks the order). Level 0 stays."""
    if source == dest or min(source, dest) < 1 or max(source, dest) >= len(ladder):
        return ladder
    levels = list(ladder)
    levels.insert(dest, levels.pop(source))
    return tuple(levels)


def with_new_level(ladder: Ladder) -> Ladder:
    """Append a level a little after the last one, with the last one's severities and statuses."""
    last = ladder[-1]
    step = max(15, (last.repeat or 0) + 5)
    wait = min(MAX_WAIT_MINUTES, last.wait + step)
    return (*ladder, EscalationLevel(wait=wait, severities=last.severities, statuses=last.statuses))


def without_level(ladder: Ladder, index: int) -> Ladder:
    if index < 1 or index >= len(ladder):
        return ladder
    return ladder[:index] + ladder[index + 1 :]


def default_target_channels(ladder: Ladder) -> tuple[Channel, ...]:
    """Channels a newly added target starts with: level 0's channels for everyone, else SMS."""
    return ladder[0].channels_for("*") or (Channel.SMS,)


# -- the model and its commands ------------------------------------------------------------------


class LadderModel(QObject):
    """The ladder of one rule while it is edited; the configuration gives names and personnel.

    Signals:
        changed: the ladder is a different tuple now.
    """

    changed = Signal()

    def __init__(self, config: Configuration, rule: OnCallRule, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.rule = rule
        self._ladder: Ladder = rule.escalation or (
            EscalationLevel(channels={"*": (Channel.SMS, Channel.EMAIL)}),
        )

    @property
    def ladder(self) -> Ladder:
        return self._ladder

    def set_ladder(self, ladder: Ladder) -> None:
        if ladder != self._ladder:
            self._ladder = ladder
            self.changed.emit()

    def edited_rule(self) -> OnCallRule:
        return replace(self.rule, escalation=self._ladder)

    def level0_people(self) -> tuple[str, ...]:
        """Everyone the rule's layers can put on call (teams expanded), each once, in order."""
        return self.config.rule_people(self.rule)


class LadderEdit(QUndoCommand):
    """One edit of the ladder: redo sets `after`, undo restores `before`."""

    def __init__(
        self,
        model: LadderModel,
        after: Ladder,
        text: str,
        merge: tuple[int, Hashable] | None = None,
    ) -> None:
        super().__init__(text)
        self.model = model
        self.before = model.ladder
        self.after = after
        self.merge = merge

    def redo(self) -> None:
        self.model.set_ladder(self.after)

    def undo(self) -> None:
        self.model.set_ladder(self.before)

    def id(self) -> int:
        return self.merge[0] if self.merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, LadderEdit) or other.merge != self.merge or self.merge is None:
            return False
        self.after = other.after
        self.setText(other.text())
        self.setObsolete(self.after == self.before)
        return True


class LadderCommands:
    """Builds and pushes commands; the widgets call these and never set the ladder directly."""

    def __init__(self, model: LadderModel, stack: QUndoStack) -> None:
        self.model = model
        self.stack = stack

    def _push(self, after: Ladder, text: str, merge: tuple[int, Hashable] | None = None) -> None:
        if after != self.model.ladder:
            self.stack.push(LadderEdit(self.model, after, text, merge))

    def _name(self, target: str) -> str:
        return target_label(self.model.config, target)

    def set_wait(self, index: int, wait: int) -> None:
        self._push(
            with_wait(self.model.ladder, index, wait), f"Set level {index} to T+{wait}", (_MERGE_WAIT, index)
        )

    def set_repeat(self, index: int, repeat: int | None) -> None:
        text = f"Repeat level {index} every {repeat} min" if repeat else f"No repeat on level {index}"
        self._push(with_repeat(self.model.ladder, index, repeat), text, (_MERGE_REPEAT, index))

    def set_severity(self, index: int, severity: Severity, on: bool) -> None:
        verb = "Add" if on else "Remove"
        self._push(
            with_severity(self.model.ladder, index, severity, on), f"{verb} {severity} on level {index}"
        )

    def set_status(self, index: int, status: Status, on: bool) -> None:
        verb = "Add" if on else "Remove"
        self._push(with_status(self.model.ladder, index, status, on), f"{verb} {status} on level {index}")

    def set_level0_channels(self, key: str, channels: tuple[Channel, ...] | None) -> None:
        who = "everyone on call" if key == "*" else self._name(key)
        self._push(with_level0_channels(self.model.ladder, key, channels), f"Level 0 channels of {who}")

    def set_target_channels(self, index: int, target: str, channels: tuple[Channel, ...]) -> None:
        self._push(
            with_target_channels(self.model.ladder, index, target, channels),
            f"Channels of {self._name(target)} on level {index}",
        )

    def add_target(self, index: int, target: str) -> None:
        ladder = self.model.ladder
        new = Target(target, default_target_channels(ladder))
        self._push(with_target(ladder, index, new), f"Add {self._name(target)} to level {index}")

    def remove_target(self, index: int, target: str) -> None:
        self._push(
            without_target(self.model.ladder, index, target),
            f"Remove {self._name(target)} from level {index}",
        )

    def move_target(self, source: int, dest: int, target: str) -> None:
        self._push(
            with_target_moved(self.model.ladder, source, dest, target),
            f"Move {self._name(target)} to level {dest}",
        )

    def move_level(self, source: int, dest: int) -> None:
        self._push(with_level_moved(self.model.ladder, source, dest), f"Move level {source} to {dest}")

    def add_level(self) -> None:
        self._push(with_new_level(self.model.ladder), f"Add level {len(self.model.ladder)}")

    def remove_level(self, index: int) -> None:
        self._push(without_level(self.model.ladder, index), f"Remove level {index}")

"""The rule being edited in the rule editor, and the undoable commands that change it.

The draft is a frozen `OnCallRule`. Every edit is a pure function from one rule to the next (the
`with_*` functions below); `RuleEdit` wraps one such step as a `QUndoCommand` holding the rule
before and after, on the editor's own stack next to the ladder's commands, so Ctrl+Z in the dialog
steps back through both. Consecutive edits of one text field or spin box merge into one step. The
saved rule is one command on the main window's stack (`views.commands.Save`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from oncall_desktop.domain import (
    Combine,
    Configuration,
    Layer,
    MatchConditions,
    OnCallRule,
    Rotation,
    Window,
)
from oncall_desktop.views.ladder_model import target_label

LAYER_MIME = "application/x-oncall-layer"
"""Drag payload of a layer card: its index."""
PERSON_SOURCE_MIME = "application/x-oncall-layer-person"
"""Present when a person chip is dragged off a layer: `layer:position`."""

WORKING_DAY = Window((0, 1, 2, 3, 4), time(9), time(17))

# Merge ids for QUndoCommand.id(): consecutive edits of one field merge.
_MERGE_TEXT = 10
_MERGE_SPIN = 11


# -- pure edits ----------------------------------------------------------------------------------


def _put_layer(rule: OnCallRule, index: int, layer: Layer) -> OnCallRule:
    return replace(rule, layers=(*rule.layers[:index], layer, *rule.layers[index + 1 :]))


def with_layer_changed(rule: OnCallRule, index: int, **changes: Any) -> OnCallRule:
    return _put_layer(rule, index, replace(rule.layers[index], **changes))


def new_layer_name(rule: OnCallRule) -> str:
    names = {layer.name for layer in rule.layers}
    number = len(rule.layers) + 1
    while f"Layer {number}" in names:
        number += 1
    return f"Layer {number}"


def with_layer_added(rule: OnCallRule) -> OnCallRule:
    """A new, empty layer at the end (lowest priority). Unnamed layers get names once there are two."""
    layers = tuple(replace(layer, name=layer.name or f"Layer {i + 1}") for i, layer in enumerate(rule.layers))
    named = replace(rule, layers=layers)
    return replace(named, layers=(*layers, Layer(name=new_layer_name(named))))


def without_layer(rule: OnCallRule, index: int) -> OnCallRule:
    if len(rule.layers) < 2 or not 0 <= index < len(rule.layers):
        return rule
    return replace(rule, layers=rule.layers[:index] + rule.layers[index + 1 :])


def with_layer_moved(rule: OnCallRule, source: int, dest: int) -> OnCallRule:
    count = len(rule.layers)
    if source == dest or not (0 <= source < count and 0 <= dest < count):
        return rule
    layers = list(rule.layers)
    layers.insert(dest, layers.pop(source))
    return replace(rule, layers=tuple(layers))


def with_person_added(rule: OnCallRule, index: int, target: str, position: int | None = None) -> OnCallRule:
    """`target` (a person id or `team:<id>`) into layer `index` at `position` (the end by default).

    A person may take two slots of a rotation, so a target already there is added again."""
    personnel = list(rule.layers[index].personnel)
    personnel.insert(len(personnel) if position is None else position, target)
    return with_layer_changed(rule, index, personnel=tuple(personnel))


def without_person(rule: OnCallRule, index: int, position: int) -> OnCallRule:
    personnel = rule.layers[index].personnel
    if not 0 <= position < len(personnel):
        return rule
    return with_layer_changed(rule, index, personnel=personnel[:position] + personnel[position + 1 :])


def with_person_moved(
    rule: OnCallRule, source: int, position: int, dest: int, dest_position: int | None = None
) -> OnCallRule:
    """Move the entry at `position` of layer `source` to `dest_position` of layer `dest`."""
    personnel = rule.layers[source].personnel
    if not 0 <= position < len(personnel):
        return rule
    target = personnel[position]
    if source == dest:
        moved = list(personnel)
        moved.pop(position)
        at = len(moved) if dest_position is None else dest_position
        if dest_position is not None and dest_position > position:
            at -= 1
        moved.insert(max(0, min(at, len(moved))), target)
        return with_layer_changed(rule, source, personnel=tuple(moved))
    return with_person_added(without_person(rule, source, position), dest, target, dest_position)


def with_windows(rule: OnCallRule, index: int | None, windows: tuple[Window, ...]) -> OnCallRule:
    """The rule's own windows (`index` None) or layer `index`'s."""
    if index is None:
        return replace(rule, windows=windows)
    return with_layer_changed(rule, index, windows=windows)


def with_effective(
    rule: OnCallRule, index: int | None, start: datetime | None, end: datetime | None
) -> OnCallRule:
    if index is None:
        return replace(rule, effective_start=start, effective_end=end)
    return with_layer_changed(rule, index, effective_start=start, effective_end=end)


def with_condition(rule: OnCallRule, condition: str) -> OnCallRule:
    text = condition.strip()
    if not text or text in rule.match.conditions:
        return rule
    return replace(rule, match=replace(rule.match, conditions=(*rule.match.conditions, text)))


def without_condition(rule: OnCallRule, position: int) -> OnCallRule:
    kept = tuple(c for i, c in enumerate(rule.match.conditions) if i != position)
    return replace(rule, match=replace(rule.match, conditions=kept))


def default_rotation(today: date) -> Rotation:
    """What choosing a rotation period starts from: weekly handoffs at 09:00 from this Monday."""
    return Rotation("weekly", 1, time(9), date.fromordinal(today.toordinal() - today.weekday()))


# -- the model and its commands ------------------------------------------------------------------


class RuleDraft(QObject):
    """The rule while it is edited (its ladder lives in the ladder editor's `LadderModel`).

    Signals:
        changed: the draft is a different rule now.
    """

    changed = Signal()

    def __init__(self, rule: OnCallRule, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rule = rule

    @property
    def rule(self) -> OnCallRule:
        return self._rule

    def set_rule(self, rule: OnCallRule) -> None:
        if rule != self._rule:
            self._rule = rule
            self.changed.emit()


class RuleEdit(QUndoCommand):
    """One edit of the draft: redo sets `after`, undo restores `before`."""

    def __init__(
        self, draft: RuleDraft, after: OnCallRule, text: str, merge: tuple[int, Hashable] | None = None
    ) -> None:
        super().__init__(text)
        self.draft = draft
        self.before = draft.rule
        self.after = after
        self.merge = merge

    def redo(self) -> None:
        self.draft.set_rule(self.after)

    def undo(self) -> None:
        self.draft.set_rule(self.before)

    def id(self) -> int:
        return self.merge[0] if self.merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, RuleEdit) or other.merge != self.merge or self.merge is None:
            return False
        self.after = other.after
        self.setText(other.text())
        self.setObsolete(self.after == self.before)
        return True


class RuleCommands:
    """Builds and pushes commands; the widgets call these and never set the draft directly."""

    def __init__(self, draft: RuleDraft, stack: QUndoStack, config: Configuration) -> None:
        self.draft = draft
        self.stack = stack
        self.config = config

    def _push(self, after: OnCallRule, text: str, merge: tuple[int, Hashable] | None = None) -> None:
        if after != self.draft.rule:
            self.stack.push(RuleEdit(self.draft, after, text, merge))

    def _layer_name(self, index: int) -> str:
        layer = self.draft.rule.layers[index]
        return f"layer {layer.name}" if layer.name else "the layer"

    def _name(self, target: str) -> str:
        return target_label(self.config, target)

    # -- the rule's own fields

    def set_name(self, name: str) -> None:
        self._push(replace(self.draft.rule, name=name), "Rename the rule", (_MERGE_TEXT, "name"))

    def set_name_and_id(self, name: str, rule_id: str) -> None:
        """A new rule's name, with the id made from it (until the id is typed itself)."""
        self._push(replace(self.draft.rule, name=name, id=rule_id), "Name the rule", (_MERGE_TEXT, "name"))

    def set_id(self, rule_id: str) -> None:
        self._push(replace(self.draft.rule, id=rule_id), "Change the rule's id", (_MERGE_TEXT, "id"))

    def set_zone(self, zone: str) -> None:
        self._push(replace(self.draft.rule, timezone=zone), f"Time zone {zone}", (_MERGE_TEXT, "zone"))

    def set_effective(self, index: int | None, start: datetime | None, end: datetime | None) -> None:
        where = "the rule" if index is None else self._layer_name(index)
        self._push(
            with_effective(self.draft.rule, index, start, end),
            f"Effective span of {where}",
            (_MERGE_SPIN, ("effective", index)),
        )

    def set_windows(self, index: int | None, windows: tuple[Window, ...], merge: bool = False) -> None:
        where = "the rule" if index is None else self._layer_name(index)
        self._push(
            with_windows(self.draft.rule, index, windows),
            f"Weekly windows of {where}",
            (_MERGE_SPIN, ("windows", index)) if merge else None,
        )

    def set_match_mode(self, mode: str) -> None:
        match = MatchConditions("any" if mode == "any" else "all", self.draft.rule.match.conditions)
        self._push(replace(self.draft.rule, match=match), f"Match {mode} conditions")

    def add_condition(self, condition: str) -> None:
        self._push(with_condition(self.draft.rule, condition), f"Match {condition.strip()}")

    def remove_condition(self, position: int) -> None:
        conditions = self.draft.rule.match.conditions
        if 0 <= position < len(conditions):
            self._push(
                without_condition(self.draft.rule, position), f"No longer match {conditions[position]}"
            )

    def set_combine(self, combine: Combine) -> None:
        text = "The first layer with someone is on call" if combine == "first" else "All layers together"
        self._push(replace(self.draft.rule, combine=combine), text)

    # -- layers

    def add_layer(self) -> None:
        self._push(with_layer_added(self.draft.rule), "Add a layer")

    def remove_layer(self, index: int) -> None:
        self._push(without_layer(self.draft.rule, index), f"Remove {self._layer_name(index)}")

    def move_layer(self, source: int, dest: int) -> None:
        self._push(
            with_layer_moved(self.draft.rule, source, dest), f"Move {self._layer_name(source)} to {dest + 1}"
        )

    def set_layer_name(self, index: int, name: str) -> None:
        self._push(
            with_layer_changed(self.draft.rule, index, name=name),
            "Rename a layer",
            (_MERGE_TEXT, ("layer", index)),
        )

    def set_layer_zone(self, index: int, zone: str | None) -> None:
        text = f"{self._layer_name(index)} in {zone or 'the rule zone'}"
        self._push(
            with_layer_changed(self.draft.rule, index, timezone=zone),
            text[0].upper() + text[1:],
            (_MERGE_TEXT, ("layer zone", index)),
        )

    def set_rotation(self, index: int, rotation: Rotation | None, merge: bool = False) -> None:
        text = f"Rotation of {self._layer_name(index)}"
        self._push(
            with_layer_changed(self.draft.rule, index, rotation=rotation),
            text,
            (_MERGE_SPIN, ("rotation", index)) if merge else None,
        )

    def add_person(self, index: int, target: str, position: int | None = None) -> None:
        self._push(
            with_person_added(self.draft.rule, index, target, position),
            f"Add {self._name(target)} to {self._layer_name(index)}",
        )

    def remove_person(self, index: int, position: int) -> None:
        target = self.draft.rule.layers[index].personnel[position]
        self._push(
            without_person(self.draft.rule, index, position),
            f"Remove {self._name(target)} from {self._layer_name(index)}",
        )

    def move_person(self, source: int, position: int, dest: int, dest_position: int | None = None) -> None:
        target = self.draft.rule.layers[source].personnel[position]
        self._push(
            with_person_moved(self.draft.rule, source, position, dest, dest_position),
            f"Move {self._name(target)} in {self._layer_name(dest)}",
        )

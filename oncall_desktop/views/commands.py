"""Every edit the window makes, as a `QUndoCommand` acting on the store.

Each command's `redo` and `undo` call the store's granular operations and then `refresh()` (the
window reloads the configuration). Undo leaves the stored configuration as it was before the edit.
Two things the store cannot do exactly are handled here:

* a re-added override gets a fresh id, so `OverrideIds` maps the id a command first saw to the id
  it has now, and later commands on the stack still find their override;
* deleting a person, team or rule and adding it back would put it last, so those deletions are
  undone by restoring the configuration captured before them (which keeps the order).

A command whose first `redo` fails (a person still in use, say) makes itself obsolete, so
`QUndoStack.push` drops it, and reports the reason through `failed`. A later undo or redo that fails
(another process deleted the rule, say) reports through `failed` too, and the window reloads what
the store now holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtGui import QUndoCommand

from oncall_desktop.domain import Configuration, Integration, OnCallRule, Override, Person, Team
from oncall_desktop.store import Store, StoreError

Refresh = Callable[[], None]
Failed = Callable[[str], None]
Saved = Person | Team | OnCallRule


class OverrideIds:
    """The current id of an override, known by the id a command first saw."""

    def __init__(self) -> None:
        self._current: dict[int, int] = {}

    def current(self, original: int) -> int:
        seen = {original}
        now = self._current.get(original, original)
        while now in self._current and now not in seen:
            seen.add(now)
            now = self._current[now]
        return now

    def moved(self, original: int, now: int) -> None:
        self._current[original] = now

    def resolve(self, override: Override) -> Override:
        assert override.id is not None
        return replace(override, id=self.current(override.id))


class StoreCommand(QUndoCommand):
    """One edit of the store: subclasses say how to `apply` it and how to `revert` it."""

    def __init__(self, text: str, store: Store, refresh: Refresh, failed: Failed | None) -> None:
        super().__init__(text)
        self.store = store
        self.refresh = refresh
        self.failed = failed
        self._done_once = False

    def redo(self) -> None:
        try:
            self.apply()
        except StoreError as exc:
            self._report(exc)
            if not self._done_once:
                self.setObsolete(True)
                return
        self._done_once = True
        self.refresh()

    def undo(self) -> None:
        try:
            self.revert()
        except StoreError as exc:
            self._report(exc)
        self.refresh()

    def _report(self, error: StoreError) -> None:
        # A failure must not escape: Qt calls redo and undo from its slots.
        if self.failed is not None:
            self.failed(str(error))

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


class AddOverride(StoreCommand):
    def __init__(
        self,
        store: Store,
        ids: OverrideIds,
        override: Override,
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        super().__init__("Add override", store, refresh, failed)
        self.ids = ids
        self.override = replace(override, id=None)
        self.original_id: int | None = None

    def apply(self) -> None:
        added = self.store.add_override(self.override)
        assert added.id is not None
        if self.original_id is None:
            self.original_id = added.id
        else:
            self.ids.moved(self.original_id, added.id)

    def revert(self) -> None:
        assert self.original_id is not None
        self.store.delete_override(self.ids.current(self.original_id))


class ChangeOverride(StoreCommand):
    """Move or resize an override (or give it to someone else)."""

    def __init__(
        self,
        store: Store,
        ids: OverrideIds,
        before: Override,
        after: Override,
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        text = (
            "Resize override" if before.start == after.start or before.end == after.end else "Move override"
        )
        super().__init__(text, store, refresh, failed)
        self.ids = ids
        self.before = before
        self.after = after

    def apply(self) -> None:
        self.store.update_override(self.ids.resolve(self.after))

    def revert(self) -> None:
        self.store.update_override(self.ids.resolve(self.before))


class DeleteOverride(StoreCommand):
    def __init__(
        self,
        store: Store,
        ids: OverrideIds,
        override: Override,
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        super().__init__("Delete override", store, refresh, failed)
        self.ids = ids
        self.override = override

    def apply(self) -> None:
        self.store.delete_override(self.ids.resolve(self.override).id or 0)

    def revert(self) -> None:
        added = self.store.add_override(replace(self.override, id=None))
        assert self.override.id is not None
        assert added.id is not None
        self.ids.moved(self.override.id, added.id)


class Save(StoreCommand):
    """Add a person, team or rule (`before` None) or change one."""

    def __init__(
        self,
        store: Store,
        before: Saved | None,
        after: Saved,
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        kind = {Person: "", Team: "team ", OnCallRule: "rule "}[type(after)]
        super().__init__(f"{'Add' if before is None else 'Edit'} {kind}{after.name}", store, refresh, failed)
        self.before = before
        self.after = after

    def apply(self) -> None:
        self._save(self.after)

    def revert(self) -> None:
        if self.before is None:
            self._delete(self.after)
        else:
            self._save(self.before)

    def _save(self, item: Saved) -> None:
        if isinstance(item, Person):
            self.store.save_person(item)
        elif isinstance(item, Team):
            self.store.save_team(item)
        else:
            self.store.save_rule(item)

    def _delete(self, item: Saved) -> None:
        if isinstance(item, Person):
            self.store.delete_person(item.id)
        elif isinstance(item, Team):
            self.store.delete_team(item.id)
        else:
            self.store.delete_rule(item.id)


class Delete(StoreCommand):
    """Delete a rule, person or team; undo restores the configuration captured just before."""

    def __init__(
        self,
        store: Store,
        ids: OverrideIds,
        kind: str,
        item_id: str,
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        super().__init__(f"Delete {kind} {item_id}", store, refresh, failed)
        self.ids = ids
        self.kind = kind
        self.item_id = item_id
        self.snapshot: Configuration | None = None

    def apply(self) -> None:
        self.snapshot = self.store.load_configuration()
        {
            "rule": self.store.delete_rule,
            "person": self.store.delete_person,
            "team": self.store.delete_team,
        }[self.kind](self.item_id)

    def revert(self) -> None:
        assert self.snapshot is not None
        self.store.replace_configuration(self.snapshot)
        # The rule's overrides came back with fresh ids; later commands know them by the old ones.
        restored = self.store.load_configuration().overrides
        fresh = {(o.rule, o.person, o.start, o.end): o.id for o in restored}
        for old in self.snapshot.overrides:
            now = fresh.get((old.rule, old.person, old.start, old.end))
            if old.id is not None and now is not None and now != old.id:
                self.ids.moved(old.id, now)


class ImportOverrides(StoreCommand):
    """Add every override an iCal import previewed, in one write; undo removes exactly those."""

    def __init__(
        self,
        store: Store,
        ids: OverrideIds,
        overrides: Sequence[Override],
        rule_name: str,
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        count = len(overrides)
        super().__init__(
            f"Import {count} override{'s' if count != 1 else ''} to {rule_name}", store, refresh, failed
        )
        self.ids = ids
        self.overrides = [replace(o, id=None) for o in overrides]
        self.original_ids: list[int] = []

    def apply(self) -> None:
        added = self.store.add_overrides(self.overrides)
        now = [o.id for o in added if o.id is not None]
        if not self.original_ids:
            self.original_ids = now
        else:
            for original, current in zip(self.original_ids, now, strict=True):
                self.ids.moved(original, current)

    def revert(self) -> None:
        self.store.delete_overrides([self.ids.current(i) for i in self.original_ids])


class AddIntegration(StoreCommand):
    """Add an integration (last); its token is chosen once, so redo brings back the same URL."""

    def __init__(
        self, store: Store, integration: Integration, refresh: Refresh, failed: Failed | None = None
    ):
        super().__init__(f"Add integration {integration.name}", store, refresh, failed)
        self.integration = integration

    def apply(self) -> None:
        self.integration = self.store.save_integration(self.integration)

    def revert(self) -> None:
        self.store.delete_integration(self.integration.id)


class DeleteIntegration(StoreCommand):
    """Delete an integration; undo puts it back at its place with its token (the same URL)."""

    def __init__(
        self,
        store: Store,
        integration: Integration,
        position: int,
        refresh: Refresh,
        failed: Failed | None = None,
    ):
        super().__init__(f"Delete integration {integration.name}", store, refresh, failed)
        self.integration = integration
        self.position = position

    def apply(self) -> None:
        self.store.delete_integration(self.integration.id)

    def revert(self) -> None:
        self.store.save_integration(self.integration, position=self.position)


class RotateIntegrationToken(StoreCommand):
    """Give an integration a new token; undo restores the old one (and the old URL)."""

    def __init__(
        self, store: Store, integration: Integration, refresh: Refresh, failed: Failed | None = None
    ):
        super().__init__(f"Rotate the token of {integration.name}", store, refresh, failed)
        self.integration_id = integration.id
        self.old_token = integration.token
        self.new_token: str | None = None

    def apply(self) -> None:
        self.new_token = self.store.rotate_integration_token(self.integration_id, self.new_token)

    def revert(self) -> None:
        self.store.rotate_integration_token(self.integration_id, self.old_token)

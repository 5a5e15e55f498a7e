"""Settling sends whose outcome nobody recorded (SPEC §10): the station that claimed them died, or
the provider took the request and never answered.

Before anything is sent again the provider is asked. For one number the claims are settled one at a
time, oldest first, each taking the earliest message or call the provider has for that number in its
claim's window that no page carries yet and that names one of its incidents (an SMS names them; a
call cannot be told apart but by time). Found: recorded as sent, at the provider's time. Not found:
sent again. The provider cannot be asked (email): sent again, marked as possibly repeated.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from oncall_desktop.domain import Settings
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.notifiers import CHANNEL_WORDS, Found, Notifier
from oncall_desktop.incident import NewEvent, SendOutcome, StaleClaim
from oncall_desktop.store import Store
from oncall_desktop.store.outbox import Fence
from oncall_desktop.timeutil import format_instant

log = logging.getLogger(__name__)


def reconcile_number(
    store: Store,
    clock: Clock,
    fence: Fence,
    notifier: Notifier,
    claims: Sequence[StaleClaim],
    settings: Settings,
    window: timedelta,
) -> None:
    """Settle one number's stale claims, oldest first; a provider that cannot be asked now leaves
    the rest for the next tick."""
    taken: set[str] = set()
    for stale in sorted(claims, key=lambda c: (c.claimed_at is None, c.claimed_at, c.notification_ids)):
        try:
            answer = notifier.reconcile(stale, settings, window)
        except Exception as error:
            log.warning("checking an interrupted %s with the provider failed: %s", stale.channel.value, error)
            return
        if answer == "unknowable":
            _settle(
                store,
                clock,
                fence,
                stale,
                None,
                "the station stopped while sending it; sending it again, possibly repeated",
                possibly_repeated=True,
            )
            continue
        known = store.outbox.recorded_provider_ids([f.provider_id for f in answer]) | taken
        found = next((f for f in answer if f.provider_id not in known and _names_it(f, stale)), None)
        if found is None:
            _settle(
                store,
                clock,
                fence,
                stale,
                None,
                "the station stopped while sending it and the provider has no record of it; sending it again",
            )
            continue
        taken.add(found.provider_id)
        _settle(store, clock, fence, stale, found, "")


def _names_it(found: Found, stale: StaleClaim) -> bool:
    """Whether the provider's message can be this claim's: an SMS names its incidents (`#12 `)."""
    return found.text is None or any(f"#{incident_id} " in found.text for incident_id in stale.incident_ids)


def _settle(
    store: Store,
    clock: Clock,
    fence: Fence,
    stale: StaleClaim,
    found: Found | None,
    why: str,
    *,
    possibly_repeated: bool = False,
) -> None:
    address = f" ({stale.address})" if stale.address else ""
    if found is not None:
        text = (
            f"notified {stale.person} by {CHANNEL_WORDS[stale.channel]}{address} "
            f"at {format_instant(found.at)}, level {stale.level} "
            "(the station stopped before recording it; found at the provider) "
            f"[{found.provider_id}]"
        )
        at, kind = found.at, "notified"
        outcome: SendOutcome | None = SendOutcome("sent", found.at, provider_id=found.provider_id)
    else:
        text = f"{CHANNEL_WORDS[stale.channel]} to {stale.person}{address}: {why}"
        at, kind, outcome = clock.now(), "retrying", None
    events = [
        NewEvent(i, at, kind, text, person=stale.person, channel=stale.channel, level=stale.level)
        for i in stale.incident_ids
    ]
    store.outbox.settle_stale(fence, stale, found=outcome, events=events, possibly_repeated=possibly_repeated)

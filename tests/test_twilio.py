"""SMS and calls through the real `twilio` client against the local fake Twilio API: what the person
receives, replies and keypresses that act, signatures, retries, permanent failures, rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import keyring
import pytest
import requests
from keyring.backends.fail import Keyring as FailKeyring

from oncall_desktop import secrets
from oncall_desktop.domain import TwilioSettings
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.paging import build_notifiers, poll_replies
from oncall_desktop.engine.sms_replies import ReplyPoller, parse_reply
from oncall_desktop.engine.twilio_account import TwilioAccess
from oncall_desktop.sms_limit import SmsRateLimit
from oncall_desktop.station_address import InvalidNumberError, e164
from oncall_desktop.validation import phone_problem
from tests.helpers_paging import ALICE, AUTH_TOKEN, CAROL, MINUTE, STATION_NUMBER, Paging, paging


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Paging]:
    with paging(f"sqlite:///{tmp_path / 'paging.db'}") as env:
        yield env


def sms_to(env: Paging, number: str) -> list[str]:
    return [m["body"] for m in env.fake.messages if m["to"] == number]


def test_an_sms_page_names_severity_title_rule_and_the_reply_code(env: Paging) -> None:
    incident = env.open_incident("Checkout down")
    env.tick()
    assert sms_to(env, ALICE) == [
        f"[P1] #{incident} Checkout down (default). Reply 1a to acknowledge, 1r to resolve."
    ]
    assert env.fake.messages[0]["from"] == STATION_NUMBER
    [sms] = [n for n in env.store.incidents.notifications(incident) if n.channel.value == "sms"]
    assert (sms.state, sms.provider_id) == ("sent", env.fake.messages[0]["sid"])


def test_the_oncall_phone_is_preferred_over_the_phone(env: Paging) -> None:
    config = env.store.load_configuration()
    alice = config.person("alice")
    assert alice is not None
    env.store.save_person(replace(alice, oncall_phone="+442079460958"))
    env.open_incident()
    env.tick()
    assert [m["to"] for m in env.fake.messages] == ["+442079460958"]


def test_an_sms_reply_fetched_by_polling_acknowledges_once_and_is_confirmed(env: Paging) -> None:
    incident = env.open_incident("Checkout down")
    env.tick()
    env.fake.receive_sms(ALICE, " 1A ", env.clock.now() + MINUTE)
    poller = ReplyPoller(env.store, env.access)
    assert poller.poll_once(env.clock.now() + MINUTE) == 1
    current = env.store.incidents.get(incident)
    assert (current.status.value, current.acknowledged_by) == ("working", "alice")
    assert sms_to(env, ALICE)[-1] == f"Acknowledged #{incident}: Checkout down"
    sent = len(env.fake.messages)
    assert poller.poll_once(env.clock.now() + 2 * MINUTE) == 0  # the same reply is never applied twice
    assert len(env.fake.messages) == sent


def test_a_bare_reply_acts_on_the_numbers_latest_incident_and_codes_pick_one(env: Paging) -> None:
    first = env.open_incident("Disk full", key="a")
    env.tick()
    second = env.open_incident("API slow", key="b")
    env.tick(MINUTE)
    assert "Reply 2a" in sms_to(env, ALICE)[-1]
    env.fake.receive_sms(ALICE, "r", env.clock.now())
    env.fake.receive_sms(ALICE, "1a", env.clock.now() + timedelta(seconds=1))
    assert ReplyPoller(env.store, env.access).poll_once(env.clock.now()) == 2
    assert (env.status(first), env.status(second)) == ("working", "resolved")
    assert sms_to(env, ALICE)[-2:] == [f"Resolved #{second}: API slow", f"Acknowledged #{first}: Disk full"]


def test_a_reply_by_webhook_and_then_by_polling_is_applied_once(env: Paging) -> None:
    incident = env.open_incident()
    env.tick()
    sid = env.fake.receive_sms(ALICE, "1r", env.clock.now())
    assert env.fake.sms_webhook(env.station.url, ALICE, "1r", sid=sid).status_code == 200
    assert env.status(incident) == "resolved"
    assert ReplyPoller(env.store, env.access).poll_once(env.clock.now()) == 0
    assert [b for b in sms_to(env, ALICE) if b.startswith("Resolved")] == [
        f"Resolved #{incident}: Checkout down"
    ]


def test_an_unknown_code_gets_an_explaining_reply(env: Paging) -> None:
    env.open_incident()
    env.tick()
    env.fake.sms_webhook(env.station.url, ALICE, "7a")
    assert sms_to(env, ALICE)[-1] == "No open incident with code 7 was paged to this number."
    assert parse_reply("hello") is None
    assert parse_reply("12 ack") == (12, "acknowledge")


def test_an_unusable_keyring_refuses_webhooks_and_says_so_once_without_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    usable = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        with paging(f"sqlite:///{tmp_path / 'paging.db'}", secret=secrets.get_secret) as env:
            incident = env.open_incident()
            for _ in range(3):
                assert env.fake.sms_webhook(env.station.url, ALICE, "1a").status_code == 403
            assert env.status(incident) == "open"
    finally:
        keyring.set_keyring(usable)
    [warning] = [r.getMessage() for r in caplog.records if r.name.endswith("twilio_account")]
    assert warning.startswith("Twilio webhooks are refused (403) until the auth token can be read: ")
    assert "no usable OS keyring" in warning
    assert AUTH_TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("number", "canonical"),
    [
        ("+14155550101", "+14155550101"),
        ("+1 415 555 0101", "+14155550101"),
        ("+442079460958", "+442079460958"),
        ("+1415555010", None),
        ("4155550101", None),
        ("call me", None),
    ],
)
def test_paging_and_the_configuration_check_agree_on_phone_numbers(
    number: str, canonical: str | None
) -> None:
    if canonical is None:
        with pytest.raises(InvalidNumberError) as refused:
            e164(number)
        assert phone_problem(number) == str(refused.value)
    else:
        assert e164(number) == canonical
        assert (phone_problem(number) is None) == (number == canonical)


class _Stop(BaseException):
    pass


@pytest.mark.parametrize(
    ("error", "traceback"), [(requests.ConnectionError("down"), False), (KeyError("bug"), True)]
)
def test_a_failed_reply_poll_is_logged_with_a_traceback_only_when_it_is_a_bug(
    env: Paging, caplog: pytest.LogCaptureFixture, error: Exception, traceback: bool
) -> None:
    outcomes: list[BaseException] = [error, _Stop()]

    class Failing(ReplyPoller):
        def poll_once(self, now: datetime) -> int:
            raise outcomes.pop(0)

    with pytest.raises(_Stop):
        asyncio.run(poll_replies(Failing(env.store, env.access), env.clock, interval=0))
    [record] = [r for r in caplog.records if r.getMessage().startswith("polling Twilio for SMS replies: ")]
    assert (record.exc_info is not None) == traceback


def test_a_refusing_twilio_is_logged_once_when_it_starts_and_once_when_it_ends(
    env: Paging, caplog: pytest.LogCaptureFixture
) -> None:
    from twilio.base.exceptions import TwilioRestException

    refused = TwilioRestException(401, "https://api.twilio.com/Messages.json", "Authenticate", 20003)
    outcomes: list[BaseException | int] = [refused, refused, refused, 0, 0, _Stop()]

    class Polling(ReplyPoller):
        def poll_once(self, now: datetime) -> int:
            outcome = outcomes.pop(0)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

    with pytest.raises(_Stop):
        asyncio.run(poll_replies(Polling(env.store, env.access), env.clock, interval=0))
    lines = [r.getMessage() for r in caplog.records if "SMS replies" in r.getMessage()]
    assert lines == [
        "polling Twilio for SMS replies: Twilio refused (401, code 20003): Authenticate",
        "polling Twilio for SMS replies works again (after 0 min): it had failed with Twilio refused "
        "(401, code 20003): Authenticate",
    ]
    assert all(r.exc_info is None for r in caplog.records)


@pytest.mark.parametrize("path", ["/twilio/sms", "/twilio/voice/gather?incident=1&person=alice"])
def test_unsigned_or_wrongly_signed_webhooks_are_refused_and_change_nothing(env: Paging, path: str) -> None:
    incident = env.open_incident()
    env.tick()
    params = {"MessageSid": "SMx", "From": ALICE, "Body": "1a", "Digits": "1"}
    url = f"{env.station.url}{path}"
    assert requests.post(url, data=params, timeout=10).status_code == 403
    assert env.fake.signed_post(url, params, token="not-the-token").status_code == 403
    tampered = env.fake.signed_post(url, params)  # signed for other parameters
    forged = requests.post(
        url, data={**params, "Digits": "2", "Body": "1r"}, headers={"X-Twilio-Signature": "x"}, timeout=10
    )
    assert forged.status_code == 403
    assert tampered.status_code == 200  # the correctly signed one is the only one that acts
    assert env.status(incident) == "working"


def test_a_call_reads_the_incident_other_keys_repeat_and_2_resolves(env: Paging) -> None:
    incident = env.open_incident("Checkout down")
    env.tick(timedelta(0))
    env.tick(30 * MINUTE)  # level 1 calls carol
    [call] = env.fake.calls
    assert call.to == CAROL
    played = env.fake.play(call)
    assert "Severity P 1 incident" in played.said[0]
    assert "Checkout down" in played.said[0]
    assert "Press 1 to acknowledge" in played.said[0]
    assert played.gather_action is not None
    again = env.fake.press(call, "9", played.gather_action)
    assert again.gather_action is not None  # the prompt again
    assert env.status(incident) == "open"
    done = env.fake.press(call, "2", again.gather_action)
    assert done.said == [f"Incident {incident} resolved. Goodbye."]
    current = env.store.incidents.get(incident)
    assert (current.status.value, current.resolved_at) == ("resolved", env.clock.now())


def test_without_a_public_url_the_call_says_how_to_acknowledge(env: Paging) -> None:
    env.set_public_url(None)
    incident = env.open_incident()
    env.tick()
    env.tick(30 * MINUTE)
    [call] = env.fake.calls
    played = env.fake.play(call)
    assert played.gather_action is None
    assert "open the on-call desktop app" in played.said[0]
    assert f"oncall-desktop ack {incident}" in played.said[0]


@pytest.mark.parametrize("status", [503, 429])
def test_temporary_failures_are_retried_with_backoff(env: Paging, status: int) -> None:
    incident = env.open_incident()
    env.fake.fail_next(status)
    env.fake.fail_next(status)
    env.tick()
    [sms] = [n for n in env.store.incidents.notifications(incident) if n.channel.value == "sms"]
    assert sms.state == "pending"
    assert "retrying" in (sms.error or "")
    env.tick(timedelta(seconds=29))
    assert env.fake.messages == []
    env.tick(timedelta(seconds=1))  # 30 s after the first attempt
    assert env.fake.messages == []
    env.tick(timedelta(seconds=59))  # the second retry waits 60 s
    assert env.fake.messages == []
    env.tick(timedelta(seconds=1))
    assert len(sms_to(env, ALICE)) == 1
    assert [n.state for n in env.store.incidents.notifications(incident) if n.channel.value == "sms"] == [
        "sent"
    ]


def test_an_invalid_number_fails_for_good_on_the_timeline(env: Paging) -> None:
    env.fake.invalid_numbers.add(ALICE)
    incident = env.open_incident()
    env.tick()
    requests_made = env.fake.requests
    env.tick(5 * MINUTE)  # a repeat is a new notification; the failed one is not retried
    [first, *_] = [n for n in env.store.incidents.notifications(incident) if n.channel.value == "sms"]
    assert first.state == "failed"
    assert "21211" in (first.error or "")
    assert env.fake.requests == requests_made + 1  # only the repeat's attempt
    failures = [e.message for e in env.store.incidents.timeline(incident) if e.kind == "failed"]
    assert any(m.startswith("SMS to Alice Chen") and "not a valid phone number" in m for m in failures)


def test_a_number_phonenumbers_rejects_is_never_sent_to(env: Paging) -> None:
    alice = env.store.load_configuration().person("alice")
    assert alice is not None
    env.store.save_person(replace(alice, phone="+1 555 0101"))
    incident = env.open_incident()
    env.tick()
    assert env.fake.requests == 0
    [sms] = [n for n in env.store.incidents.notifications(incident) if n.channel.value == "sms"]
    assert sms.state == "failed"
    assert "not a valid phone number" in (sms.error or "")


def test_an_alert_storm_is_rate_limited_and_bundled_naming_each_incident_once(env: Paging) -> None:
    env.engine.sms_limit = SmsRateLimit(max_messages=3)
    for n in range(10):
        env.open_incident(f"Node {n} down", key=f"node{n}")
    env.tick()
    bodies = sms_to(env, ALICE)
    assert len(bodies) == 3  # two pages, then the last one the window allows carries the other eight
    [bundle] = [b for b in bodies if "bundled" in b]
    assert bundle.startswith("8 incidents (SMS limit reached, bundled): [P1] #3 Node 2 down (")
    codes = [int(b.split("Reply ")[1].split("a ")[0]) for b in bodies if "bundled" not in b]
    codes += [int(part.rsplit("(", 1)[1].rstrip("a)")) for part in bundle.split(". Reply")[0].split("; ")[:3]]
    assert len(set(codes)) == len(codes)  # every incident paged to this number has its own reply code
    assert "and 5 more" in bundle
    first = [
        n for i in range(1, 11) for n in env.store.incidents.notifications(i) if n.channel.value == "sms"
    ]
    assert {n.state for n in first} == {"sent"}
    bundle_sid = next(m["sid"] for m in env.fake.messages if "bundled" in m["body"])
    assert sum(n.provider_id == bundle_sid for n in first) == 8
    env.tick(5 * MINUTE)  # ten repeats are due, but the number had its three texts this window
    assert len(sms_to(env, ALICE)) == 3
    env.tick(5 * MINUTE)  # room again at T+10 (ten more repeats due): two texts, then one bundle
    bodies = sms_to(env, ALICE)
    assert len(bodies) == 6
    [second_bundle] = [b for b in bodies[3:] if "bundled" in b]
    # 18 pages for the same incidents, twice each: the bundle names each incident once
    assert second_bundle.startswith("10 incidents (SMS limit reached, bundled)")


def test_the_station_says_at_start_what_is_missing(env: Paging, caplog: pytest.LogCaptureFixture) -> None:
    build_notifiers(env.store, env.clock, env.access)
    assert "SMTP is not set up: email notifications are written to the incident timeline only" in caplog.text
    missing = TwilioAccess(env.access.config, secret=lambda _name: None)
    build_notifiers(env.store, env.clock, missing)
    assert "SMS and calls will fail until this is fixed: Twilio is not set up: no auth token" in caplog.text


def test_twilio_set_up_while_the_station_runs_pages_the_next_incident_without_a_restart(env: Paging) -> None:
    configured = env.store.load_configuration().settings
    env.store.save_settings(replace(configured, twilio=TwilioSettings()))
    engine = EscalationEngine(env.store, build_notifiers(env.store, env.clock, env.access), clock=env.clock)
    first = env.open_incident("Disk full", key="a")
    engine.tick(env.clock.now())
    engine.settle()
    assert env.fake.messages == []
    notes = [e.message for e in env.store.incidents.timeline(first) if e.kind == "notified"]
    assert any("by SMS" in note and "timeline only (Twilio is not set up" in note for note in notes)
    env.store.save_settings(configured)  # Settings → Twilio, saved while the engine runs
    second = env.open_incident("API slow", key="b")
    env.clock.advance(MINUTE)
    engine.tick(env.clock.now())
    engine.settle()
    engine.release()
    [page] = sms_to(env, ALICE)
    assert page.startswith(f"[P1] #{second} API slow (default). Reply")


@pytest.mark.postgres
def test_pages_codes_and_replies_work_on_postgresql(postgres_database_url: str) -> None:
    with paging(postgres_database_url) as env:
        first = env.open_incident("Disk full", key="a")
        second = env.open_incident("API slow", key="b")
        env.tick()
        assert sorted(b[-39:] for b in sms_to(env, ALICE)) == sorted(
            [
                "Reply 1a to acknowledge, 1r to resolve.",
                "Reply 2a to acknowledge, 2r to resolve.",
            ]
        )
        # the codes follow the order the pages went out, which concurrent sends do not fix
        (slow,) = [b for b in sms_to(env, ALICE) if "API slow" in b]
        code = slow.rsplit("Reply ", 1)[1].split("a ", 1)[0]
        sid = env.fake.receive_sms(ALICE, f"{code}r", env.clock.now())
        env.fake.sms_webhook(env.station.url, ALICE, f"{code}r", sid=sid)
        assert ReplyPoller(env.store, env.access).poll_once(env.clock.now()) == 0
        assert (env.status(first), env.status(second)) == ("open", "resolved")

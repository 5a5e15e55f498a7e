"""Webhook payloads → intake results (SPEC §4): Alertmanager 0.25, Grafana Alerting, generic webhook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oncall_desktop.domain import Integration, IntegrationKind, Severity
from oncall_desktop.engine.intake import IntakeError, parse

FIXTURES = Path("/work/shared/fixtures/alertmanager")
FIRING = (FIXTURES / "firing-0.25.json").read_bytes() if FIXTURES.exists() else b""


def integ(kind: IntegrationKind = "alertmanager", mapping: dict[str, Severity] | None = None) -> Integration:
    return Integration("i", "I", kind, "t" * 32, mapping or {})


def am(**overrides: object) -> bytes:
    doc = json.loads(FIRING)
    doc.update(overrides)
    return json.dumps(doc).encode()


def test_alertmanager_payload_becomes_a_group_with_label_tags_and_summary_title() -> None:
    result = parse(integ(), FIRING)
    assert result.group_key == '{}:{alertname="DiskFull"}'
    assert result.title == "Disk full on db-1"
    assert result.severity == Severity.P0
    assert result.tags == ("alertname:DiskFull", "instance:db-1:9100", "job:node", "severity:critical")
    assert [(a.fingerprint, a.state) for a in result.alerts] == [("8c77d5865e910658", "firing")]
    assert result.opens


def test_labels_in_any_script_are_kept_as_sent() -> None:
    labels = {"site": "Zürich", "team": "支付", "note": "ok ✓"}
    result = parse(integ(), am(commonLabels=labels))
    assert set(result.tags) == {"site:Zürich", "team:支付", "note:ok ✓"}


def test_resolved_payload_opens_nothing() -> None:
    result = parse(integ(), (FIXTURES / "resolved-0.25.json").read_bytes())
    assert [a.state for a in result.alerts] == ["resolved"]
    assert not result.opens


def test_title_without_summary_is_alertname_and_group_labels() -> None:
    body = am(
        commonAnnotations={},
        groupLabels={"alertname": "HighLatency", "service": "api"},
        commonLabels={"alertname": "HighLatency", "service": "api"},
        alerts=[
            {"status": "firing", "labels": {"alertname": "HighLatency", "service": "api"}, "fingerprint": "f"}
        ],
    )
    assert parse(integ(), body).title == "HighLatency (service=api)"


@pytest.mark.parametrize(
    ("label", "mapping", "expected"),
    [
        ("critical", {}, Severity.P0),
        ("high", {}, Severity.P1),
        ("error", {}, Severity.P1),
        ("warning", {}, Severity.P2),
        ("info", {}, Severity.P3),
        ("whatever", {}, Severity.P2),
        ("warning", {"warning": Severity.P4}, Severity.P4),
    ],
)
def test_severity_comes_from_the_label_through_the_mapping(
    label: str, mapping: dict[str, Severity], expected: Severity
) -> None:
    body = am(commonLabels={"alertname": "X", "severity": label})
    assert parse(integ(mapping=mapping), body).severity == expected


def test_grafana_alerting_uses_the_same_shape() -> None:
    assert parse(integ("grafana_alerting"), FIRING).group_key == '{}:{alertname="DiskFull"}'


def test_generic_webhook_fields() -> None:
    body = json.dumps(
        {
            "title": "Checkout errors",
            "message": "5xx above 2%",
            "severity": "P1",
            "tags": {"service": "payments", "env": "prod"},
            "alert_uid": "abc",
            "link_to_upstream_details": "https://grafana.example/d/1",
            "image_url": "https://grafana.example/i.png",
        }
    ).encode()
    result = parse(integ("webhook"), body)
    assert (result.title, result.description, result.severity) == (
        "Checkout errors",
        "5xx above 2%",
        Severity.P1,
    )
    assert result.tags == ("env:prod", "service:payments")
    assert result.group_key == "abc"
    assert result.link == "https://grafana.example/d/1"
    assert result.image_url == "https://grafana.example/i.png"


@pytest.mark.parametrize("state", ["ok", "resolved", "OK"])
def test_generic_state_ok_or_resolved_resolves(state: str) -> None:
    body = json.dumps({"title": "x", "dedup_key": "k", "state": state, "tags": ["a:b"]}).encode()
    result = parse(integ("webhook"), body)
    assert not result.opens
    assert result.group_key == "k"


def test_generic_without_key_never_groups() -> None:
    body = b'{"title": "x"}'
    assert parse(integ("webhook"), body).group_key != parse(integ("webhook"), body).group_key


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("alertmanager", b"not json", "body"),
        ("alertmanager", b"[1]", "body"),
        ("alertmanager", am(groupKey=None), "groupKey"),
        ("alertmanager", am(alerts=[]), "alerts"),
        ("alertmanager", am(alerts=[{"status": "pending", "labels": {}}]), "alerts[0].status"),
        ("alertmanager", am(alerts=[{"status": "firing", "labels": []}]), "alerts[0].labels"),
        ("alertmanager", am(commonLabels={"a": {"b": 1}}), "commonLabels.a"),
        ("webhook", b"{}", "title"),
        ("webhook", b'{"title": "x", "tags": 5}', "tags"),
        ("webhook", b'{"title": "x", "tags": ["nocolon"]}', "tags[0]"),
        ("webhook", b'{"title": ["x"]}', "title"),
        ("webhook", b"[" * 50_000 + b"]" * 50_000, "body"),
        ("webhook", b'{"title": "disk\\u0000full"}', "title"),
        ("webhook", b'{"title": "x", "tags": {"team": "db\\u0000"}}', "tags.team"),
        ("alertmanager", am(groupKey="g\x00"), "groupKey"),
        ("alertmanager", am(commonLabels={"team": "db\x00"}), "commonLabels.team"),
        ("alertmanager", am(commonLabels={"te\x00am": "db"}), "commonLabels (a key)"),
        ("alertmanager", am(commonLabels={"team": "db\ud800"}), "commonLabels.team"),
        ("alertmanager", am(commonLabels={"t\udfffeam": "db"}), "commonLabels (a key)"),
        ("webhook", b'{"title": "x", "tags": {"site": "Z\\u00fcrich \\udc00"}}', "tags.site"),
    ],
)
def test_malformed_payloads_name_the_field(kind: IntegrationKind, body: bytes, field: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse(integ(kind), body)
    assert str(caught.value).startswith(f"{field}:")

"""Webhook payloads → what the station should do with them (SPEC §4). Pure: no I/O, no clock.

Alertmanager and Grafana Alerting post the same webhook shape (`groupKey`, `alerts` with
`fingerprint` and `status`); the generic webhook is Grafana OnCall's "formatted webhook". Every
payload becomes an `IntakeResult`: the group it belongs to, the incident facts a new incident would
get, and the state of each alert in it. A malformed payload raises `IntakeError` naming the field.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from oncall_desktop.domain import Integration, IntegrationKind, Severity
from oncall_desktop.incident import IncomingAlert, IntakeResult

DEFAULT_SEVERITY_MAPPING: Mapping[str, Severity] = {
    "critical": Severity.P0,
    "high": Severity.P1,
    "error": Severity.P1,
    "warning": Severity.P2,
    "info": Severity.P3,
}
FALLBACK_SEVERITY = Severity.P2
MAX_TITLE = 500
MAX_TEXT = 2000


class IntakeError(ValueError):
    """The payload is malformed; the message names the field (answered with 400)."""


def parse(integration: Integration, body: bytes) -> IntakeResult:
    """Parse a request body for `integration`; raises IntakeError naming the offending field."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IntakeError(f"body: not JSON ({error})") from None
    except RecursionError:
        raise IntakeError("body: JSON nested too deeply") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise IntakeError(f"body: a value cannot be read ({str(error).split(';')[0]})") from None
    if not isinstance(document, dict):
        raise IntakeError("body: expected a JSON object")
    return parse_document(integration.kind, integration.severity_mapping, document)


def parse_document(
    kind: IntegrationKind, mapping: Mapping[str, Severity], document: Mapping[str, Any]
) -> IntakeResult:
    if kind == "webhook":
        return _generic(mapping, document)
    return _alertmanager(mapping, document)


def severity_for(mapping: Mapping[str, Severity], label: str | None) -> Severity:
    """The integration's mapping, then the default mapping, then P2."""
    if label is None:
        return FALLBACK_SEVERITY
    key = label.strip().lower()
    lowered = {k.strip().lower(): v for k, v in mapping.items()}
    if key in lowered:
        return lowered[key]
    return DEFAULT_SEVERITY_MAPPING.get(key, FALLBACK_SEVERITY)


def _alertmanager(mapping: Mapping[str, Severity], doc: Mapping[str, Any]) -> IntakeResult:
    group_key = doc.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        raise IntakeError("groupKey: missing or not a non-empty string")
    _storable(group_key, "groupKey")
    raw_alerts = doc.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise IntakeError("alerts: missing or not a non-empty list")
    alerts: list[IncomingAlert] = []
    first_annotations: dict[str, str] = {}
    for index, raw in enumerate(raw_alerts):
        path = f"alerts[{index}]"
        if not isinstance(raw, dict):
            raise IntakeError(f"{path}: not an object")
        labels = _string_map(raw.get("labels", {}), f"{path}.labels")
        annotations = _string_map(raw.get("annotations", {}), f"{path}.annotations")
        if index == 0:
            first_annotations = annotations
        status = raw.get("status")
        if status not in ("firing", "resolved"):
            raise IntakeError(f"{path}.status: expected 'firing' or 'resolved'")
        fingerprint = raw.get("fingerprint")
        if fingerprint is None:
            fingerprint = _fingerprint(labels)
        if not isinstance(fingerprint, str) or not fingerprint:
            raise IntakeError(f"{path}.fingerprint: not a non-empty string")
        _storable(fingerprint, f"{path}.fingerprint")
        alerts.append(IncomingAlert(fingerprint[:500], status, labels))
    common = _string_map(doc.get("commonLabels", {}), "commonLabels")
    group_labels = _string_map(doc.get("groupLabels", {}), "groupLabels")
    common_annotations = _string_map(doc.get("commonAnnotations", {}), "commonAnnotations")
    labels = common or dict(alerts[0].labels)
    summary = common_annotations.get("summary") or first_annotations.get("summary")
    if summary:
        title = summary
    else:
        name = labels.get("alertname") or group_labels.get("alertname") or "Alert"
        extra = ", ".join(f"{k}={v}" for k, v in sorted(group_labels.items()) if k != "alertname")
        title = f"{name} ({extra})" if extra else name
    description = common_annotations.get("description") or first_annotations.get("description") or ""
    link = doc.get("externalURL")
    if isinstance(link, str):
        _storable(link, "externalURL")
    return IntakeResult(
        group_key=group_key[:1000],
        title=title[:MAX_TITLE],
        description=description[:MAX_TEXT],
        severity=severity_for(mapping, labels.get("severity")),
        tags=_tags(labels),
        alerts=tuple(alerts),
        link=link[:MAX_TEXT] if isinstance(link, str) and link else None,
    )


def _generic(mapping: Mapping[str, Severity], doc: Mapping[str, Any]) -> IntakeResult:
    title = _optional_string(doc, "title")
    message = _optional_string(doc, "message")
    if not title and not message:
        raise IntakeError("title: missing (give a title or a message)")
    key = _optional_string(doc, "alert_uid") or _optional_string(doc, "dedup_key")
    state = _optional_string(doc, "state")
    resolved = state is not None and state.strip().lower() in ("ok", "resolved")
    tags = _generic_tags(doc.get("tags"))
    severity_text = _optional_string(doc, "severity")
    severity = _generic_severity(mapping, severity_text)
    group_key = key or f"uuid:{uuid.uuid4()}"
    labels = dict(tag.split(":", 1) for tag in tags)
    return IntakeResult(
        group_key=group_key[:1000],
        title=(title or message or "")[:MAX_TITLE],
        description=(message or "")[:MAX_TEXT],
        severity=severity,
        tags=tags,
        alerts=(IncomingAlert(group_key[:500], "resolved" if resolved else "firing", labels),),
        link=_short(_optional_string(doc, "link_to_upstream_details")),
        image_url=_short(_optional_string(doc, "image_url")),
    )


def _generic_severity(mapping: Mapping[str, Severity], text: str | None) -> Severity:
    if text is None:
        return FALLBACK_SEVERITY
    try:
        return Severity(text.strip().upper())
    except ValueError:
        return severity_for(mapping, text)


def _generic_tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, dict):
        return _tags(_string_map(value, "tags"))
    if isinstance(value, list):
        tags = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or ":" not in item:
                raise IntakeError(f"tags[{index}]: expected a 'key:value' string")
            _storable(item, f"tags[{index}]")
            key, _, val = item.partition(":")
            tags.append(f"{key.strip()}:{val.strip()}")
        return tuple(tags)
    raise IntakeError("tags: expected an object or a list of 'key:value' strings")


def _tags(labels: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(f"{key}:{value}" for key, value in sorted(labels.items()))


def _string_map(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise IntakeError(f"{path}: expected an object")
    result: dict[str, str] = {}
    for key, item in value.items():
        text = item if type(item) is str else _number_as_text(item, f"{path}.{key}")
        if not (_plain(key) and _plain(text)):  # the field names are only made when needed
            _storable(key, f"{path} (a key)")
            _storable(text, f"{path}.{key}")
        result[key] = text
    return result


def _number_as_text(value: Any, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IntakeError(f"{path}: expected a string")
    return str(value)


def _optional_string(doc: Mapping[str, Any], field: str) -> str | None:
    value = doc.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise IntakeError(f"{field}: expected a string")
    return _storable(str(value), field) or None


def _plain(value: str) -> bool:
    """ASCII without NUL: text that is certainly storable, told at the cost of a flag and a scan."""
    return value.isascii() and "\x00" not in value


def _storable(value: str, path: str) -> str:
    """The text, unless it cannot be stored: a NUL character (PostgreSQL refuses it) or a lone
    surrogate (`\\ud800` — JSON allows the escape, but it is no character and UTF-8 cannot hold it)."""
    if _plain(value):
        return value
    if "\x00" in value:
        raise IntakeError(f"{path}: contains a NUL character (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = value[error.start]
        raise IntakeError(
            f"{path}: contains a lone surrogate (\\u{ord(bad):04x}), which is not a character"
        ) from None
    return value


def _short(value: str | None) -> str | None:
    return value[:MAX_TEXT] if value else None


def _fingerprint(labels: Mapping[str, str]) -> str:
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]

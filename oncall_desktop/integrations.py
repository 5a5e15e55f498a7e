"""Integrations as their users meet them (SPEC §2, §4): the kinds by name, each integration's intake
URL, a fresh id for a new one, and a test alert posted to the station's own intake.

The command line (`integrations`) and the app's Integrations page both use these, so they always
show the same URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from oncall_desktop.domain import Integration, IntegrationKind, Settings
from oncall_desktop.station_address import parse_listen, station_base_url

KIND_LABELS: dict[IntegrationKind, str] = {
    "alertmanager": "Prometheus Alertmanager",
    "grafana_alerting": "Grafana Alerting",
    "webhook": "Generic webhook (JSON)",
}
"""What each kind is called in the app, in SPEC §2's order."""

GRAFANA_ONCALL_PATH_KINDS: dict[str, IntegrationKind] = {
    "alertmanager": "alertmanager",
    "legacy_alertmanager": "alertmanager",
    "grafana_alerting": "grafana_alerting",
    "legacy_grafana_alerting": "grafana_alerting",
    "webhook": "webhook",
    "formatted_webhook": "webhook",
    "legacy_webhook": "webhook",
    "grafana": "grafana_alerting",
}
"""Grafana OnCall's integration kinds in intake URLs (`/integrations/v1/<kind>/<token>/`) and the
parser the station reads each with, so a migrated sender changes nothing but the host (SPEC §11).
What still posts to a `grafana` ("Grafana Legacy Alerting") integration is Grafana's unified
alerting since Grafana 11 removed the legacy one: Alertmanager-shaped groups."""

TEST_ALERT_TITLE = "Test alert from oncall-desktop"
TEST_GROUP_KEY = "oncall-desktop-test"
TEST_ALERT_TIMEOUT_SECONDS = 5.0


def intake_kind_for_path(kind: str) -> IntegrationKind | None:
    """The parser for an intake URL's kind segment: ours, or a Grafana OnCall kind it stands for."""
    return GRAFANA_ONCALL_PATH_KINDS.get(kind)


_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def token_problems(integrations: Sequence[Integration]) -> list[tuple[int, str]]:
    """What is wrong with the tokens a config file gives (SPEC §11), by integration index: each
    must be one URL path segment and belong to one integration only."""
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for index, integration in enumerate(integrations):
        token = integration.token
        if token is None:
            continue
        if not _TOKEN.fullmatch(token):
            problems.append((index, "a token is letters, digits, '-' and '_' (it is part of a URL)"))
        elif token in seen:
            problems.append((index, f"the same token as integrations[{seen[token]}]"))
        else:
            seen[token] = index
    return problems


def integration_url(settings: Settings, integration: Integration) -> str:
    """The full intake URL of an integration, token included: what an alert source is given."""
    return f"{station_base_url(settings)}/integrations/v1/{integration.kind}/{integration.token}/"


def heartbeat_url(settings: Settings, integration: Integration) -> str:
    """The integration's heartbeat URL (SPEC §13, Grafana OnCall's shape): its intake URL + `heartbeat/`."""
    return f"{integration_url(settings, integration)}heartbeat/"


def local_intake_url(settings: Settings, integration: Integration) -> str:
    """The integration's intake URL on the station's own listen address (not its public URL): where
    this machine reaches its station. A station listening on every address is reached on loopback.
    ValueError if the listen address is not HOST:PORT."""
    host, port = parse_listen(settings.station.listen)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/integrations/v1/{integration.kind}/{integration.token}/"


def new_integration_id(name: str, taken: Iterable[str]) -> str:
    """A slug for a new integration named `name`, different from every id in `taken`."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "integration"
    used = set(taken)
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def sample_alert_body(integration: Integration, now: datetime) -> bytes:
    """A firing alert in the integration's own format, severity `info` (P3 by default), tagged
    `source:oncall-desktop-test`. Every test alert has the same group key, so while one test
    incident is open, the next test joins it instead of opening another."""
    summary = f"{TEST_ALERT_TITLE} ({integration.name})"
    sent = now.isoformat(timespec="seconds")
    description = f"Sent from the Integrations page at {sent} to check that alerts arrive."
    document: dict[str, object]
    if integration.kind == "webhook":
        document = {
            "title": summary,
            "message": description,
            "severity": "info",
            "alert_uid": TEST_GROUP_KEY,
            "state": "alerting",
            "tags": ["source:oncall-desktop-test"],
        }
    else:
        labels = {"alertname": "OncallDesktopTest", "severity": "info", "source": "oncall-desktop-test"}
        annotations = {"summary": summary, "description": description}
        document = {
            "version": "4",
            "groupKey": TEST_GROUP_KEY,
            "status": "firing",
            "receiver": "oncall-desktop",
            "groupLabels": {"alertname": "OncallDesktopTest"},
            "commonLabels": labels,
            "commonAnnotations": annotations,
            "alerts": [
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": annotations,
                    "startsAt": now.isoformat(timespec="seconds"),
                    "fingerprint": TEST_GROUP_KEY,
                }
            ],
        }
    return json.dumps(document).encode()


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What happened to a test alert, in words for the person who sent it."""

    ok: bool
    message: str
    incident: int | None = None


def send_test_alert(
    settings: Settings, integration: Integration, now: datetime, timeout: float = TEST_ALERT_TIMEOUT_SECONDS
) -> SendOutcome:
    """POST a test alert to the station's intake on its listen address and say what came of it.

    Blocks for up to `timeout` seconds: run it off the GUI thread. Never raises.
    """
    try:
        url = local_intake_url(settings, integration)
    except ValueError as error:
        return SendOutcome(False, f"Not sent: the station's listen address is wrong ({error}).")
    # urllib (http.client, email, ssl) loads on the first test alert, not with the window.
    import urllib.error
    import urllib.request

    host, port = parse_listen(settings.station.listen)
    where = f"{host}:{port}"
    request = urllib.request.Request(
        url,
        data=sample_alert_body(integration, now),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    # The station is this machine's own: no proxy from the environment stands in between.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            answer = _json(response.read())
    except urllib.error.HTTPError as error:
        status, answer = error.code, _json(error.read())
    except (urllib.error.URLError, OSError) as error:
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        if isinstance(reason, ConnectionRefusedError):
            return SendOutcome(
                False,
                f"Not sent: nothing listens on {where}, so the station is not running there. Start the "
                "app's station (or `oncall-desktop serve`), or check Settings ▸ Listen on.",
            )
        if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError
            return SendOutcome(False, f"No answer from the station on {where} within {timeout:g} s.")
        return SendOutcome(False, f"Not sent: cannot reach the station on {where} ({reason}).")
    incident = answer.get("incident")
    number = incident if isinstance(incident, int) else None
    if status == 201 and number is not None:
        return SendOutcome(
            True,
            f"The station on {where} accepted the test alert and opened incident #{number}. It pages "
            "whoever is on call for it like any alert: resolve it on the Incidents page.",
            number,
        )
    if 200 <= status < 300:
        joined = f" It joined incident #{number}, still open from an earlier test." if number else ""
        return SendOutcome(True, f"The station on {where} accepted the test alert.{joined}", number)
    refusal = answer.get("error") or "no reason given"
    if status == 403:
        return SendOutcome(
            False,
            f"The station on {where} does not know this integration's token (403): it runs on another "
            "database, or the token changed a moment ago (try again in a second).",
        )
    return SendOutcome(False, f"The station on {where} refused the test alert ({status}: {refusal}).")


def _json(body: bytes) -> dict[str, object]:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}

"""The Twilio auth token and the SMTP password, set in the real keyring, never reach the database file,
a config dump, the command line's output or any log line, whatever the station does with them."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import keyring
import pytest
import requests
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from oncall_desktop import secrets
from oncall_desktop.cli import main
from oncall_desktop.domain import SmtpSettings
from oncall_desktop.engine.sms_replies import ReplyPoller
from tests.helpers_paging import ALICE, AUTH_TOKEN, MINUTE, SMTP_PASSWORD, paging
from tests.helpers_station import integration
from tests.test_email import Certificate, Mailbox, smtp_server
from tests.test_email import certificate as certificate  # the fixture

USERNAME = "pager@example.com"


def test_no_secret_in_the_database_dump_output_or_logs(
    tmp_path: Path,
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not isinstance(keyring.get_keyring(), SecretServiceKeyring):
        pytest.fail(f"needs the Secret Service keyring (scripts/test.sh), got {secrets.backend_name()}")
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "leaks.db"
    url = f"sqlite:///{db}"
    for name, value in ((secrets.TWILIO_AUTH_TOKEN, AUTH_TOKEN), (secrets.SMTP_PASSWORD, SMTP_PASSWORD)):
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{value}\n"))
        assert main(["--db", url, "secrets", "set", name]) == 0
    mailbox = Mailbox()
    controller = smtp_server(mailbox, "starttls", certificate)
    smtp = SmtpSettings("127.0.0.1", controller.port, "starttls", USERNAME, USERNAME)
    try:
        with paging(
            url, secret=secrets.get_secret, smtp=smtp, ssl_context=certificate.client_context()
        ) as env:
            hook = integration(env.store, "hook")
            intake = f"{env.station.url}/integrations/v1/webhook/{hook.token}/"
            body = {"title": "Checkout down", "severity": "P1", "alert_uid": "x"}
            incident = requests.post(intake, json=body, timeout=10).json()["incident"]
            env.fake.fail_next(500)
            env.tick()  # SMS fails for now, email goes out through STARTTLS with login
            env.tick(MINUTE)  # the SMS retry
            env.fake.receive_sms(ALICE, "1a", env.clock.now())
            assert ReplyPoller(env.store, env.access).poll_once(env.clock.now()) == 1
            assert (
                requests.post(f"{env.station.url}/twilio/sms", data={"Body": "1r"}, timeout=10).status_code
                == 403
            )
            assert env.fake.sms_webhook(env.station.url, ALICE, "1r").status_code == 200
            assert env.status(incident) == "resolved"
            assert len(mailbox.received) == 1
            assert mailbox.logins == [USERNAME]
            for args in (["config", "dump"], ["incidents", "--json"], ["integrations"]):
                assert main(["--db", url, *args]) == 0
    finally:
        controller.stop()
    out, err = capsys.readouterr()
    assert "twilio:" in out  # the dump holds the settings, without the secrets
    files = [p for p in tmp_path.iterdir() if p.name.startswith("leaks.db")]
    assert db in files
    for secret in (AUTH_TOKEN, SMTP_PASSWORD):
        assert secret not in out + err
        assert secret not in caplog.text
        for path in files:
            assert secret.encode() not in path.read_bytes(), path.name
    assert "BEGIN Twilio API Request" in caplog.text  # the twilio client's own logging was captured

"""Email pages through a real SMTP server (aiosmtpd on 127.0.0.1): STARTTLS with login, implicit TLS
and plain SMTP; plain text and HTML; the acknowledge link; temporary and permanent failures."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from oncall_desktop.domain import SmtpSettings
from oncall_desktop.engine.delivery import LiveConfiguration
from oncall_desktop.engine.email_notifier import EmailNotifier
from tests.helpers_paging import MINUTE, SMTP_PASSWORD, Paging, paging
from tests.helpers_station import free_port

USERNAME = "pager@example.com"


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, made here."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    paths = Certificate(folder / "cert.pem", folder / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@dataclass
class Mailbox:
    """The SMTP server's handler: refuses `nobody@…` for good and `busy@…` for now; keeps the rest."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "451 4.3.2 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == SMTP_PASSWORD.encode()
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def smtp_server(mailbox: Mailbox, security: str, certificate: Certificate) -> Controller:
    port = free_port()
    # aiosmtpd counts only STARTTLS as TLS for `auth_require_tls`; implicit TLS is TLS from the start.
    kwargs: dict[str, Any] = {
        "authenticator": mailbox.authenticate,
        "auth_require_tls": security == "starttls",
    }
    if security == "tls":
        controller = Controller(
            mailbox, hostname="127.0.0.1", port=port, ssl_context=certificate.server_context(), **kwargs
        )
    elif security == "starttls":
        kwargs |= {"tls_context": certificate.server_context(), "require_starttls": True}
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    else:
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def run_station(
    tmp_path: Path, mailbox: Mailbox, certificate: Certificate, security: str = "starttls"
) -> Iterator[tuple[Paging, Controller]]:
    controller = smtp_server(mailbox, security, certificate)
    smtp = SmtpSettings(
        host="127.0.0.1", port=controller.port, security=security, username=USERNAME, sender=USERNAME
    )  # type: ignore[arg-type]
    try:
        with paging(
            f"sqlite:///{tmp_path / 'mail.db'}", smtp=smtp, ssl_context=certificate.client_context()
        ) as env:
            yield env, controller
    finally:
        controller.stop()


@pytest.fixture
def env(tmp_path: Path, mailbox: Mailbox, certificate: Certificate) -> Iterator[Paging]:
    for env, _controller in run_station(tmp_path, mailbox, certificate):
        yield env


def set_email(env: Paging, person_id: str, **changes: str | None) -> None:
    person = env.store.load_configuration().person(person_id)
    assert person is not None
    env.store.save_person(replace(person, **changes))


def email_state(env: Paging, incident: int) -> tuple[str, str | None]:
    [mail] = [n for n in env.store.incidents.notifications(incident) if n.channel.value == "email"]
    return mail.state, mail.error


def test_starttls_with_login_sends_text_and_html_with_an_acknowledge_link_that_works(
    env: Paging, mailbox: Mailbox
) -> None:
    set_email(env, "alice", oncall_email="alice.pager@example.com")
    incident = env.open_incident("Checkout down")
    env.tick()
    [message] = mailbox.received
    assert mailbox.logins == [USERNAME]
    assert mailbox.envelopes == [(USERNAME, ["alice.pager@example.com"])]
    assert message["Subject"] == f"[P1] #{incident} Checkout down"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    plain = text.get_content()
    assert "Severity: P1" in plain
    assert "Rule: default" in plain
    link = next(
        line.removeprefix("Acknowledge: ") for line in plain.splitlines() if line.startswith("Acknowledge:")
    )
    assert link.startswith(f"{env.station.url}/ack/")
    assert f'href="{link}"' in html.get_content()
    assert email_state(env, incident) == ("sent", None)
    page = requests.get(link, timeout=10)  # a link scanner's prefetch acknowledges nothing
    assert page.status_code == 200
    assert "Acknowledge" in page.text
    assert env.status(incident) == "open"
    assert requests.post(link, timeout=10).status_code == 200
    current = env.store.incidents.get(incident)
    assert (current.status.value, current.acknowledged_by) == ("working", "alice")
    assert requests.post(f"{env.station.url}/ack/not-a-token", timeout=10).status_code == 404


@pytest.mark.parametrize("security", ["tls", "none"])
def test_implicit_tls_and_plain_smtp_deliver_too(
    tmp_path: Path, mailbox: Mailbox, certificate: Certificate, security: str
) -> None:
    for env, _controller in run_station(tmp_path, mailbox, certificate, security):
        incident = env.open_incident()
        env.tick()
        assert [m["To"] for m in mailbox.received] == ["alice@example.com"]
        assert email_state(env, incident) == ("sent", None)


def test_without_a_public_url_the_mail_says_how_to_acknowledge(env: Paging, mailbox: Mailbox) -> None:
    env.set_public_url(None)
    incident = env.open_incident()
    env.tick()
    [message] = mailbox.received
    body = message.get_body(("plain",))
    assert body is not None
    assert f"or run: oncall-desktop ack {incident}" in body.get_content()
    assert "/ack/" not in body.get_content()


def test_a_refused_mailbox_fails_for_good_and_a_busy_one_is_retried(env: Paging, mailbox: Mailbox) -> None:
    set_email(env, "alice", oncall_email="nobody@example.com")
    incident = env.open_incident(key="a")
    env.tick()
    state, error = email_state(env, incident)
    assert state == "failed"
    assert "refused nobody@example.com (550)" in (error or "")
    timeline = [e.message for e in env.store.incidents.timeline(incident) if e.kind == "failed"]
    assert any(
        m.startswith("email to Alice Chen (nobody@example.com) failed: SMTP server refused") for m in timeline
    )

    set_email(env, "alice", oncall_email="busy@example.com")
    busy = env.open_incident(key="b")
    env.tick()
    assert email_state(env, busy) == (
        "pending",
        "SMTP server refused busy@example.com (451) (attempt 1, retrying)",
    )
    set_email(env, "alice", oncall_email="alice@example.com")  # the mailbox takes mail again
    env.tick(MINUTE)  # the retry, 30 s after the first attempt, goes to the address the row was made with
    assert email_state(env, busy) == (
        "pending",
        "SMTP server refused busy@example.com (451) (attempt 2, retrying)",
    )
    assert mailbox.received == []


def test_a_wrong_password_fails_with_a_reason_that_holds_no_secret(
    tmp_path: Path, mailbox: Mailbox, certificate: Certificate
) -> None:
    controller = smtp_server(mailbox, "starttls", certificate)
    smtp = SmtpSettings("127.0.0.1", controller.port, "starttls", USERNAME, USERNAME)
    try:
        with paging(
            f"sqlite:///{tmp_path / 'pw.db'}",
            secret={"smtp.password": "wrong-password-77"}.get,
            smtp=smtp,
            ssl_context=certificate.client_context(),
        ) as env:
            incident = env.open_incident()
            env.tick()
            state, error = email_state(env, incident)
    finally:
        controller.stop()
    assert state == "failed", error
    assert error is not None
    assert "SMTP login refused (535)" in error
    assert "wrong-password-77" not in error


def test_an_unreachable_server_is_retried(tmp_path: Path, mailbox: Mailbox, certificate: Certificate) -> None:
    smtp = SmtpSettings("127.0.0.1", free_port(), "none", None, USERNAME)
    with paging(f"sqlite:///{tmp_path / 'down.db'}", smtp=smtp) as env:
        incident = env.open_incident()
        env.tick()
        state, error = email_state(env, incident)
    assert state == "pending"
    assert error == "SMTP server unreachable: ConnectionRefusedError (attempt 1, retrying)"


def test_smtp_set_up_while_the_station_runs_takes_email_from_the_timeline(env: Paging) -> None:
    configured = env.store.load_configuration().settings
    env.store.save_settings(replace(configured, smtp=SmtpSettings()))
    notifier = EmailNotifier(env.clock, LiveConfiguration(env.store))
    assert not notifier.ready(env.store.load_configuration().settings)  # until then the timeline takes email
    env.store.save_settings(configured)
    assert notifier.ready(env.store.load_configuration().settings)

"""Email through SMTP (issue 6): plain text and HTML, to `oncall_email`, else `email`.

Security `tls` (implicit TLS, usually port 465), `starttls` (usually 587) or `none`; the password
comes from the OS keyring. With a public URL the mail carries an acknowledge link: an unguessable
token per incident and person, served by `twilio_webhooks.add_routes` (`GET` shows, `POST` acts, so
mail scanners that prefetch links acknowledge nothing).
"""

from __future__ import annotations

import html
import secrets as random_tokens
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select

from oncall_desktop import secrets
from oncall_desktop.domain import Channel, SmtpSettings
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.delivery import ConfigurationSource, temporary_failure
from oncall_desktop.engine.incidents import write_session
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, Journal
from oncall_desktop.store import Store
from oncall_desktop.store.notify_models import AckLinkRow

SecretLookup = Callable[[str], str | None]
ACK_PATH = "/ack/"
SMTP_TIMEOUT_SECONDS = 20.0


class SmtpNotConfiguredError(Exception):
    pass


def ack_link(store: Store, public_url: str, incident_id: int, person: str, now: datetime) -> str:
    """The person's acknowledge link for the incident (created once, then reused)."""
    with write_session(store) as session:
        token = session.scalar(
            select(AckLinkRow.token)
            .where(AckLinkRow.incident_id == incident_id)
            .where(AckLinkRow.person_id == person)
        )
        if token is None:
            token = random_tokens.token_urlsafe(32)
            session.add(AckLinkRow(token=token, incident_id=incident_id, person_id=person, created_at=now))
    return f"{public_url.rstrip('/')}{ACK_PATH}{token}"


def incident_for_ack_token(store: Store, token: str) -> tuple[int, str] | None:
    """The (incident id, person id) an acknowledge link's token was made for; None if unknown."""
    with store.session() as session:
        row = session.scalar(select(AckLinkRow).where(AckLinkRow.token == token))
        return (row.incident_id, row.person_id) if row is not None else None


def compose(delivery: Delivery, sender: str, link: str | None, now: datetime) -> EmailMessage:
    lead = "Handover: you are now on call for this incident. " if delivery.handover else ""
    subject = f"[{delivery.severity.value}] #{delivery.incident_id} {delivery.incident_title}"
    rule = delivery.rule or "—"
    how = (
        f"Acknowledge: {link}"
        if link
        else f"Acknowledge in the on-call desktop app, or run: oncall-desktop ack {delivery.incident_id}"
    )
    text = (
        f"{lead}Incident #{delivery.incident_id}: {delivery.incident_title}\n"
        f"Severity: {delivery.severity.value}\nRule: {rule}\nEscalation level: {delivery.level}\n\n{how}\n"
    )
    action = (
        f'<p><a href="{html.escape(link)}" style="font-weight:bold">Acknowledge incident '
        f"#{delivery.incident_id}</a></p>"
        if link
        else f"<p>Acknowledge in the on-call desktop app, or run <code>oncall-desktop ack "
        f"{delivery.incident_id}</code>.</p>"
    )
    body_html = (
        f"<html><body><p>{html.escape(lead)}</p><h2>[{delivery.severity.value}] Incident "
        f"#{delivery.incident_id}: {html.escape(delivery.incident_title)}</h2>"
        f"<table><tr><th align=left>Rule</th><td>{html.escape(rule)}</td></tr>"
        f"<tr><th align=left>Escalation level</th><td>{delivery.level}</td></tr></table>"
        f"{action}</body></html>"
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = delivery.address or ""
    message["Date"] = formatdate(now.timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(body_html, subtype="html")
    return message


def sample_email(to: str, sender: str, now: datetime) -> EmailMessage:
    """What the Settings dialog's "Send test email" sends."""
    message = EmailMessage()
    message["Subject"] = "oncall-desktop test email"
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(now.timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content("This is a test email from the on-call station. Email paging works.\n")
    return message


class EmailNotifier:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: ConfigurationSource,
        secret: SecretLookup = secrets.get_secret,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self._secret = secret
        self._ssl_context = ssl_context
        self._timeout = timeout

    @property
    def channels(self) -> frozenset[Channel]:
        """Email while an SMTP host is set in the (live) settings; none before."""
        return frozenset({Channel.EMAIL}) if self.config.settings().smtp.host else frozenset()

    @property
    def in_transaction(self) -> bool:
        return False

    def send(self, delivery: Delivery, journal: Journal) -> DeliveryResult:
        now = self.clock.now()
        settings = self.config.settings()
        if not delivery.address:
            return DeliveryResult.failed(f"{delivery.person_name} has no email address")
        public = settings.station.public_url
        try:
            sender = self._sender(settings.smtp)
            link = (
                ack_link(self.store, public, delivery.incident_id, delivery.person, now) if public else None
            )
            message = compose(delivery, sender, link, now)
            self.deliver(message)
        except SmtpNotConfiguredError as error:
            return DeliveryResult.failed(str(error))
        except smtplib.SMTPAuthenticationError as error:
            return DeliveryResult.failed(
                f"SMTP login refused ({error.smtp_code}); check username and password"
            )
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            reason = f"SMTP server refused {delivery.address} ({', '.join(map(str, codes))})"
            if all(400 <= code < 500 for code in codes):
                return temporary_failure(self.store, delivery, reason, now)
            return DeliveryResult.failed(reason)
        except smtplib.SMTPResponseException as error:
            reason = f"SMTP error {error.smtp_code}: {_text(error.smtp_error)}"
            if 400 <= error.smtp_code < 500:
                return temporary_failure(self.store, delivery, reason, now)
            return DeliveryResult.failed(reason)
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
            reason = f"SMTP server unreachable: {type(error).__name__}"
            return temporary_failure(self.store, delivery, reason, now)
        except smtplib.SMTPException as error:  # e.g. the server offers no STARTTLS or AUTH
            return DeliveryResult.failed(f"SMTP failed: {type(error).__name__}: {error}")
        except OSError as error:  # refused, unreachable, TLS handshake: smtplib's errors are OSErrors too
            reason = f"SMTP server unreachable: {type(error).__name__}"
            return temporary_failure(self.store, delivery, reason, now)
        return DeliveryResult.sent(str(message["Message-ID"]))

    def send_test(self, to: str) -> str:
        """Send a test email with the current settings; its Message-ID. Raises on any failure."""
        message = sample_email(to, self._sender(self.config.settings().smtp), self.clock.now())
        self.deliver(message)
        return str(message["Message-ID"])

    def _sender(self, smtp: SmtpSettings) -> str:
        if not smtp.host:
            raise SmtpNotConfiguredError("email is not set up: no SMTP host in Settings")
        sender = smtp.sender or smtp.username
        if not sender:
            raise SmtpNotConfiguredError("email is not set up: no sender address in Settings")
        return sender

    def deliver(self, message: EmailMessage) -> None:
        """Send one message with the current SMTP settings (also the Settings dialog's test email)."""
        smtp = self.config.settings().smtp
        if not smtp.host:
            raise SmtpNotConfiguredError("email is not set up: no SMTP host in Settings")
        password: str | None = None
        if smtp.username:
            try:
                password = self._secret(secrets.SMTP_PASSWORD)
            except secrets.SecretsError as error:
                raise SmtpNotConfiguredError(str(error)) from None
            if not password:
                raise SmtpNotConfiguredError(
                    "email is not set up: an SMTP username is set but no password is in the OS keyring "
                    "(Settings, or `oncall-desktop secrets set smtp.password`)"
                )
        context = self._ssl_context or ssl.create_default_context()
        client: smtplib.SMTP
        if smtp.security == "tls":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=self._timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=self._timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.username and password:
                client.login(smtp.username, password)
            client.send_message(message)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value

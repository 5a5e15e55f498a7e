"""Email through SMTP (issue 6): plain text and HTML, to `oncall_email`, else `email`.

Security `tls` (implicit TLS, usually port 465), `starttls` (usually 587) or `none`; the password
comes from the OS keyring. With a public URL the mail carries an acknowledge link: an unguessable
token per incident and person (made when the page is claimed), served by `twilio_webhooks.add_routes`
(`GET` shows, `POST` acts, so mail scanners that prefetch links acknowledge nothing).
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from oncall_desktop import secrets
from oncall_desktop.domain import Channel, Settings, SmtpSettings
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.delivery import ConfigurationSource, temporary_failure
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, ReconcileResult
from oncall_desktop.incident import StaleClaim

SecretLookup = Callable[[str], str | None]
ACK_PATH = "/ack/"
SMTP_TIMEOUT_SECONDS = 10.0
"""Per SMTP operation, for test emails; pages use the engine's time-out, below its lease."""


class SmtpNotConfiguredError(Exception):
    pass


class SmtpMaybeSentError(Exception):
    """The connection failed while the message was being handed over: the server may have it."""


def ack_url(public_url: str, token: str) -> str:
    """Where an acknowledge link's token is served."""
    return f"{public_url.rstrip('/')}{ACK_PATH}{token}"


def compose(delivery: Delivery, sender: str, now: datetime) -> EmailMessage:
    """The page as an email; its Message-ID is the notification's own, so a repeat after a crash
    is recognisable (and threads with the first)."""
    if delivery.reminder is not None:
        return _reminder_email(delivery, delivery.reminder, sender, now)
    link = delivery.ack_url
    lead = "Handover: you are now on call for this incident. " if delivery.handover else ""
    if delivery.possibly_repeated:
        lead = "(Possibly repeated: the station stopped while sending this page.) " + lead
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
    message["Message-ID"] = delivery.message_id or make_msgid(domain=sender_domain(sender))
    message.set_content(text)
    message.add_alternative(body_html, subtype="html")
    return message


def _reminder_email(delivery: Delivery, text: str, sender: str, now: datetime) -> EmailMessage:
    """A handoff reminder: the text is the whole message."""
    lead = (
        "(Possibly repeated: the station stopped while sending this reminder.) "
        if delivery.possibly_repeated
        else ""
    )
    message = EmailMessage()
    message["Subject"] = text.split(":", 1)[0] + (f" — {delivery.rule}" if delivery.rule else "")
    message["From"] = sender
    message["To"] = delivery.address or ""
    message["Date"] = formatdate(now.timestamp(), usegmt=True)
    message["Message-ID"] = delivery.message_id or make_msgid(domain=sender_domain(sender))
    message.set_content(f"{lead}{text}\n")
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


def sender_domain(sender: str) -> str | None:
    return sender.rpartition("@")[2] or None


class EmailNotifier:
    """Sends email deliveries through SMTP; touches no store. At least once: after a crash a page
    may go again, with the same Message-ID and marked as possibly repeated."""

    def __init__(
        self,
        clock: Clock,
        config: ConfigurationSource,
        secret: SecretLookup = secrets.get_secret,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.clock = clock
        self.config = config
        self._secret = secret
        self._ssl_context = ssl_context
        self._timeout = timeout

    @property
    def channels(self) -> frozenset[Channel]:
        return frozenset({Channel.EMAIL})

    @property
    def in_transaction(self) -> bool:
        return False

    def ready(self, settings: Settings) -> bool:
        return bool(settings.smtp.host)

    def reconcile(self, stale: StaleClaim, settings: Settings, window: timedelta) -> ReconcileResult:
        return "unknowable"  # an SMTP server cannot be asked what it received

    def send(self, delivery: Delivery) -> DeliveryResult:
        now = self.clock.now()
        settings = delivery.settings
        if not delivery.address:
            return DeliveryResult.failed(f"{delivery.person_name} has no email address")
        try:
            sender = self._sender(settings.smtp)
            message = compose(delivery, sender, now)
            self.deliver(message, settings.smtp, delivery.timeout.total_seconds())
        except SmtpNotConfiguredError as error:
            return DeliveryResult.failed(str(error))
        except SmtpMaybeSentError as error:
            return DeliveryResult.unknown(f"SMTP server stopped answering while taking the message ({error})")
        except smtplib.SMTPAuthenticationError as error:
            return DeliveryResult.failed(
                f"SMTP login refused ({error.smtp_code}); check username and password"
            )
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            reason = f"SMTP server refused {delivery.address} ({', '.join(map(str, codes))})"
            if all(400 <= code < 500 for code in codes):
                return temporary_failure(delivery, reason, now)
            return DeliveryResult.failed(reason)
        except smtplib.SMTPResponseException as error:
            reason = f"SMTP error {error.smtp_code}: {_text(error.smtp_error)}"
            if 400 <= error.smtp_code < 500:
                return temporary_failure(delivery, reason, now)
            return DeliveryResult.failed(reason)
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
            reason = f"SMTP server unreachable: {type(error).__name__}"
            return temporary_failure(delivery, reason, now)
        except smtplib.SMTPException as error:  # e.g. the server offers no STARTTLS or AUTH
            return DeliveryResult.failed(f"SMTP failed: {type(error).__name__}: {error}")
        except OSError as error:  # refused, unreachable, TLS handshake: smtplib's errors are OSErrors too
            reason = f"SMTP server unreachable: {type(error).__name__}"
            return temporary_failure(delivery, reason, now)
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

    def deliver(
        self, message: EmailMessage, smtp: SmtpSettings | None = None, timeout: float | None = None
    ) -> None:
        """Send one message with `smtp` (default: the current settings; also the test email), each
        SMTP operation timing out after `timeout` seconds (default: this notifier's)."""
        smtp = smtp or self.config.settings().smtp
        timeout = timeout or self._timeout
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
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.username and password:
                client.login(smtp.username, password)
            try:
                client.send_message(message)
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as error:
                raise SmtpMaybeSentError(type(error).__name__) from error


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value

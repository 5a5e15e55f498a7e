"""The secrets (the Twilio auth token, the SMTP password, each person's chat URLs as
`chat.<person>`), kept only in the OS keyring.

Everything goes through the `keyring` library, so its standard backends and `PYTHON_KEYRING_BACKEND`
work. A secret's value never appears in a message, a log line or a repr from here: errors name the
secret and the backend, never the value.
"""

from __future__ import annotations

import re

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

SERVICE = "oncall-desktop"
TWILIO_AUTH_TOKEN = "twilio.auth_token"
SMTP_PASSWORD = "smtp.password"
SECRET_NAMES = (TWILIO_AUTH_TOKEN, SMTP_PASSWORD)
CHAT_PREFIX = "chat."
"""`chat.<person id>`: that person's Apprise URLs (SPEC §13), one per line; they hold tokens."""
NAMES_HELP = ", ".join((*SECRET_NAMES, f"{CHAT_PREFIX}<person>"))
_PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")

HOW_TO_GET_A_KEYRING = (
    "Secrets are kept only in the OS keyring. On a desktop, unlock your login keyring (GNOME Keyring, "
    "KWallet, macOS Keychain or Windows Credential Locker). On a headless server, run the station inside "
    "a D-Bus session with an unlocked gnome-keyring, e.g. dbus-run-session -- sh -c 'printf %s "
    '"$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null && '
    "oncall-desktop serve' (set the secrets the same way with `oncall-desktop secrets set NAME`), or "
    "choose another backend of the keyring library with PYTHON_KEYRING_BACKEND, e.g. "
    "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring after `pip install keyrings.alt`."
)


class SecretsError(Exception):
    """A secret could not be read, stored or deleted; the message never holds a secret's value."""


class UnknownSecretError(SecretsError, ValueError):
    pass


class SecretsUnavailable(SecretsError):  # noqa: N818 (the name the issue and callers use)
    """No usable keyring backend: the message says which one failed and how to get a usable one."""


def backend_name() -> str:
    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def is_secret_name(name: str) -> bool:
    if name in SECRET_NAMES:
        return True
    return name.startswith(CHAT_PREFIX) and bool(_PERSON_ID.match(name[len(CHAT_PREFIX) :]))


def chat_secret(person_id: str) -> str:
    """The keyring name of a person's chat URLs."""
    return f"{CHAT_PREFIX}{person_id}"


def chat_urls(value: str | None) -> list[str]:
    """The URLs a `chat.<person>` secret holds (one per line; blank lines and spaces ignored)."""
    return value.split() if value else []


def _check(name: str) -> None:
    if not is_secret_name(name):
        raise UnknownSecretError(f"unknown secret {name!r}: use one of {NAMES_HELP}")


def _unavailable(action: str, name: str, error: Exception) -> SecretsUnavailable:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return SecretsUnavailable(
        f"cannot {action} {name}: no usable OS keyring (backend {backend_name()}: {reason}). "
        + HOW_TO_GET_A_KEYRING
    )


def get_secret(name: str) -> str | None:
    """The secret's value, or None if it is not set."""
    _check(name)
    try:
        return keyring.get_password(SERVICE, name)
    except KeyringError as error:
        raise _unavailable("read", name, error) from None


def set_secret(name: str, value: str) -> None:
    _check(name)
    if not value:
        raise SecretsError(f"{name}: the value is empty; use `secrets delete {name}` to remove it")
    try:
        keyring.set_password(SERVICE, name, value)
    except KeyringError as error:
        # A backend's message could in theory echo what it was given: drop it if it does.
        safe = error if value not in str(error) else KeyringError(type(error).__name__)
        raise _unavailable("store", name, safe) from None


def delete_secret(name: str) -> bool:
    """Remove the secret; False if it was not set."""
    _check(name)
    try:
        if keyring.get_password(SERVICE, name) is None:
            return False
        keyring.delete_password(SERVICE, name)
    except PasswordDeleteError:
        return False
    except KeyringError as error:
        raise _unavailable("delete", name, error) from None
    return True

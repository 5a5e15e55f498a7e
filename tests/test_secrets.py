"""Secrets in the real OS keyring (Secret Service via gnome-keyring, as scripts/test.sh sets up), the
`secrets` command, and the message when no keyring backend is usable."""

from __future__ import annotations

import io
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from oncall_desktop import secrets
from oncall_desktop.cli import main

TOKEN = "tw-secret-5c1e9b77d0"


@pytest.fixture
def real_keyring() -> Iterator[None]:
    """The Secret Service keyring, emptied of our secrets before and after."""
    backend = keyring.get_keyring()
    if not isinstance(backend, SecretServiceKeyring):
        pytest.fail(
            f"these tests need the real Secret Service keyring, got {secrets.backend_name()}: run them with "
            "scripts/test.sh (pytest inside dbus-run-session with an unlocked gnome-keyring)"
        )
    for name in secrets.SECRET_NAMES:
        secrets.delete_secret(name)
    yield
    for name in secrets.SECRET_NAMES:
        secrets.delete_secret(name)


def test_secrets_round_trip_through_the_secret_service(real_keyring: None) -> None:
    assert secrets.get_secret(secrets.TWILIO_AUTH_TOKEN) is None
    secrets.set_secret(secrets.TWILIO_AUTH_TOKEN, TOKEN)
    secrets.set_secret(secrets.SMTP_PASSWORD, "mail-pass")
    assert keyring.get_password("oncall-desktop", "twilio.auth_token") == TOKEN
    assert secrets.get_secret(secrets.SMTP_PASSWORD) == "mail-pass"
    assert secrets.delete_secret(secrets.TWILIO_AUTH_TOKEN) is True
    assert secrets.delete_secret(secrets.TWILIO_AUTH_TOKEN) is False
    assert secrets.get_secret(secrets.TWILIO_AUTH_TOKEN) is None
    with pytest.raises(
        secrets.UnknownSecretError, match=r"use one of twilio\.auth_token, smtp\.password, chat\.<person>"
    ):
        secrets.get_secret("db.password")


def test_secrets_set_reads_standard_input_and_never_prints_the_value(
    real_keyring: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{TOKEN}\n"))
    assert main(["secrets", "set", "twilio.auth_token"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("twilio.auth_token stored in the OS keyring (keyring.backends.SecretService")
    assert TOKEN not in out + err
    assert secrets.get_secret(secrets.TWILIO_AUTH_TOKEN) == TOKEN
    assert main(["secrets", "delete", "twilio.auth_token"]) == 0
    assert capsys.readouterr().out == "twilio.auth_token deleted from the OS keyring\n"
    assert secrets.get_secret(secrets.TWILIO_AUTH_TOKEN) is None


def test_secrets_bad_input_is_one_line_and_status_2(
    real_keyring: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert main(["secrets", "set", "api.key"]) == 2
    assert capsys.readouterr().err == (
        "oncall-desktop: error: NAME: 'api.key' is not one of twilio.auth_token, smtp.password, "
        "chat.<person>\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["secrets", "set", "smtp.password"]) == 2
    assert capsys.readouterr().err == "oncall-desktop: error: smtp.password: no value on standard input\n"


def test_without_a_usable_keyring_the_message_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    with pytest.raises(secrets.SecretsUnavailable) as raised:
        secrets.set_secret(secrets.SMTP_PASSWORD, TOKEN)
    message = str(raised.value)
    assert message.startswith(
        "cannot store smtp.password: no usable OS keyring (backend keyring.backends.fail"
    )
    assert "dbus-run-session" in message
    assert "gnome-keyring-daemon --unlock" in message
    assert "PYTHON_KEYRING_BACKEND=" in message
    assert TOKEN not in message
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{TOKEN}\n"))
    assert main(["secrets", "set", "smtp.password"]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("oncall-desktop: error: cannot store smtp.password: no usable OS keyring")
    assert err.count("\n") == 1
    assert TOKEN not in out + err

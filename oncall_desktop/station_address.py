"""The station's addresses: where it listens, the base URL alert senders and calendar apps use, and
the phone numbers it pages. One parser each, shared by validation, the command line and the engine."""

from __future__ import annotations

import reprlib

from oncall_desktop.domain import Settings

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def _shown(text: str) -> str:
    """The value quoted in a message, cut short."""
    return _REPR.repr(text)


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 hosts in brackets) → (host, port); ValueError with the reason."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError(f"{_shown(text)} is not HOST:PORT")
    host = host.strip("[]")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{_shown(text)}: the port must be a number from 1 to 65535")
    return host, int(port_text)


def station_base_url(settings: Settings) -> str:
    """The station's public URL if set, else `http://HOST:PORT` of its listen address (IPv6 hosts
    in brackets), without a trailing slash. ValueError if the listen address is not HOST:PORT."""
    station = settings.station
    if station.public_url:
        return station.public_url.rstrip("/")
    host, port = parse_listen(station.listen)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"


class InvalidNumberError(ValueError):
    pass


def e164(number: str | None) -> str:
    """The number in E.164 (`+14155550101`); InvalidNumberError with the reason otherwise."""
    if not number or not number.strip():
        raise InvalidNumberError("no phone number")
    # Imported on first use: its metadata takes a tenth of a second to load, before the first paint.
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number.strip(), None)
    except phonenumbers.NumberParseException:
        raise InvalidNumberError(
            f"{_shown(number)} is not an E.164 phone number (write it like +14155550101)"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumberError(f"{_shown(number)} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

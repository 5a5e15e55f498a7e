"""Integration tokens: the secret in an integration's intake URL (SPEC §11)."""

from __future__ import annotations

MIN_TOKEN_LENGTH = 16  # SPEC §11: shorter integration tokens are refused


def new_token() -> str:
    """A fresh integration token: 192 random bits, URL-safe."""
    import secrets  # (hmac, hashlib, random: not needed to open the window)

    return secrets.token_urlsafe(24)

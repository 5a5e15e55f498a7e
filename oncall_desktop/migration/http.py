"""Where a migration reads from: a source's REST API over HTTP, or a directory of saved answers.

Both answer the same question — the JSON at a path, with every page of a paginated endpoint — so the
mappings never know which one they read. Any failure is a `MigrationError` of one line.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal, Protocol

Pagination = Literal["next", "paging", "offset"]

MAX_PAGES = 1000
MAX_RETRIES = 5
MAX_WAIT_SECONDS = 120.0
REQUEST_TIMEOUT_SECONDS = 30.0


def wait(seconds: float) -> None:
    """How a rate-limited source is waited out (tests replace it, so they never sleep)."""
    time.sleep(seconds)


class MigrationError(Exception):
    """Why a migration cannot go on: one line for the user (bad token, unreachable, not JSON)."""


class Source(Protocol):
    """The JSON a source answers at `path` (relative to its versioned API base)."""

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """One response body."""

    def pages(self, path: str, params: Mapping[str, str] | None = None) -> list[Any]:
        """Every page of a paginated endpoint, in order."""


@dataclass
class HttpSource:
    """A source's REST API at `base` (the versioned base: `{URL}/api/v1`, `{URL}/v2`, `{URL}`).

    `pagination` says how the source links its pages: `next` (a `next` URL in the body: Grafana
    OnCall), `paging` (`paging.next`: Opsgenie), `offset` (`offset`/`limit`/`more`: PagerDuty). A 429
    is waited out for `Retry-After` seconds (or PagerDuty's `ratelimit-reset`) with `sleep` (default:
    `wait`).
    """

    base: str
    headers: Mapping[str, str]
    pagination: Pagination
    sleep: Callable[[float], None] | None = None

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        url = f"{self.base.rstrip('/')}/{path.lstrip('/')}"  # a path's own final slash is kept
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return url

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return self._fetch(self._url(path, params))

    def pages(self, path: str, params: Mapping[str, str] | None = None) -> list[Any]:
        params = dict(params or {})
        if self.pagination == "offset":
            params.setdefault("limit", "100")
            params["offset"] = "0"
        url: str | None = self._url(path, params)
        result: list[Any] = []
        while url is not None:
            if len(result) >= MAX_PAGES:
                raise MigrationError(f"{path}: more than {MAX_PAGES} pages")
            body = self._fetch(url)
            result.append(body)
            url = self._next(body, path, params)
        return result

    def _next(self, body: Any, path: str, params: dict[str, str]) -> str | None:
        if not isinstance(body, dict):
            return None
        if self.pagination == "next":
            link = body.get("next")
        elif self.pagination == "paging":
            paging = body.get("paging")
            link = paging.get("next") if isinstance(paging, dict) else None
        else:
            if body.get("more") is not True:
                return None
            offset = body.get("offset", int(params["offset"]))
            limit = body.get("limit", int(params["limit"]))
            if not isinstance(offset, int) or not isinstance(limit, int) or limit <= 0:
                return None
            params["offset"] = str(offset + limit)
            return self._url(path, params)
        return link if isinstance(link, str) and link else None

    def _fetch(self, url: str) -> Any:
        request = urllib.request.Request(url, headers={"Accept": "application/json", **self.headers})
        for _attempt in range(MAX_RETRIES + 1):
            try:
                with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                    raw = response.read()
                break
            except urllib.error.HTTPError as error:
                if error.code == 429:
                    seconds = _retry_after(error.headers)
                    if seconds > MAX_WAIT_SECONDS:
                        raise MigrationError(
                            f"{_where(url)}: rate-limited (HTTP 429) for {seconds:g} s, longer than this "
                            f"waits ({MAX_WAIT_SECONDS:g} s): try again later"
                        ) from None
                    (self.sleep or wait)(seconds)
                    continue
                if error.code in (401, 403):
                    raise MigrationError(
                        f"{_where(url)}: the token was refused (HTTP {error.code})"
                    ) from None
                raise MigrationError(f"{_where(url)}: HTTP {error.code} {error.reason}") from None
            except (urllib.error.URLError, OSError) as error:
                reason = error.reason if isinstance(error, urllib.error.URLError) else error
                raise MigrationError(f"cannot reach {_where(url)}: {reason}") from None
        else:
            raise MigrationError(f"{_where(url)}: still rate-limited (HTTP 429) after {MAX_RETRIES} waits")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise MigrationError(f"{_where(url)}: the answer is not JSON") from None


def _retry_after(headers: Any) -> float:
    for name in ("Retry-After", "ratelimit-reset"):
        value = headers.get(name) if headers is not None else None
        if value is None:
            continue
        try:
            seconds = float(value)
        except ValueError:
            try:  # Retry-After may be an HTTP date
                seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
            except (TypeError, ValueError):
                continue
        return max(seconds, 0.0)
    return 1.0


def _where(url: str) -> str:
    """A URL without its query string, for messages."""
    return url.split("?", 1)[0]


@dataclass
class DirectorySource:
    """Saved answers (SPEC §11): one file per path without query string or version segment,
    `<path>.json`; a paginated endpoint's file is a list of its pages."""

    root: Path

    def _load(self, path: str) -> Any:
        file = self.root / f"{path.strip('/')}.json"
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MigrationError(f"{file}: missing (saved answers need one file per request path)") from None
        except (OSError, UnicodeDecodeError) as error:
            raise MigrationError(f"{file}: cannot be read ({error})") from None
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            raise MigrationError(f"{file}: not JSON") from None

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return self._load(path)

    def pages(self, path: str, params: Mapping[str, str] | None = None) -> list[Any]:
        body = self._load(path)
        if isinstance(body, dict):  # one page saved as the response body itself
            return [body]
        if not isinstance(body, list):
            raise MigrationError(f"{path}.json: a paginated endpoint's file must be a list of its pages")
        return body

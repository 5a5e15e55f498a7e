"""The three sources by name: how to reach each one's API and which mapping reads it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from oncall_desktop import configfile
from oncall_desktop.domain import Configuration
from oncall_desktop.migration import grafana_oncall, opsgenie, pagerduty
from oncall_desktop.migration.common import Migration
from oncall_desktop.migration.http import DirectorySource, HttpSource, MigrationError, Source
from oncall_desktop.validation import has_errors


def api_source(name: str, url: str, token: str, sleep: Callable[[float], None] | None = None) -> HttpSource:
    """The source's REST API at the base URL the user gives (SPEC §11: without the version segment)."""
    base = url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise MigrationError(f"--api-url: {url!r} is not an http:// or https:// URL")
    if name == "grafana-oncall":
        return HttpSource(f"{base}/api/v1", {"Authorization": token}, "next", sleep)
    if name == "opsgenie":
        return HttpSource(f"{base}/v2", {"Authorization": f"GenieKey {token}"}, "paging", sleep)
    if name == "pagerduty":
        headers = {
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        }
        return HttpSource(base, headers, "offset", sleep)
    raise MigrationError(f"unknown source {name!r}")


def directory_source(path: str) -> DirectorySource:
    root = Path(path)
    if not root.is_dir():
        raise MigrationError(f"--from-dir: {path} is not a directory")
    return DirectorySource(root)


def read_token(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise MigrationError(f"--token-file: cannot read {path} ({error})") from None
    if not token or "\n" in token:
        raise MigrationError(f"--token-file: {path} must hold the token alone on one line")
    return token


def migrate(name: str, source: Source, now: datetime) -> Migration:
    """Read `source` and map it as source `name` (`grafana-oncall`, `opsgenie`, `pagerduty`)."""
    if name == "grafana-oncall":
        return grafana_oncall.migrate(source)
    if name == "opsgenie":
        return opsgenie.migrate(source)
    if name == "pagerduty":
        return pagerduty.migrate(source, now)
    raise MigrationError(f"unknown source {name!r}")


def config_file(migration: Migration) -> tuple[str, Configuration]:
    """The migrated configuration as the §6 file (tokens kept), and that file read back: what
    `config apply` of it stores. MigrationError if it would not validate (a mapping's fault)."""
    text = configfile.dump(migration.config, tokens=True)
    config, problems = configfile.load_text(text)
    if config is None or has_errors(problems):
        first = next((p for p in problems if p.level == "error"), None)
        raise MigrationError(f"the migrated configuration does not validate ({first})")
    return text, config

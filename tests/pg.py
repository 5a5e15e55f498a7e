"""A throwaway PostgreSQL cluster for the tests: a real server, not a mock.

`postgres_url` (session scope) runs `initdb` in a temporary directory, starts `postgres` on
127.0.0.1 at a free port and yields a `postgresql+psycopg://` URL to a fresh database;
`postgres_database_url` (function scope) gives each test its own new database. Register them with
`pytest_plugins = ["tests.pg"]` in the top-level conftest.

The server runs fsync-free (it is thrown away) and, when the tests run as root, as the `postgres`
system user (else `nobody`), because `initdb` refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

SUPERUSER = "postgres"


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries; fails the test run if there are none."""
    candidates = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)],
    )
    if candidates:
        return candidates[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package "
        "`postgresql` (apt-get install postgresql)",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    pytest.fail("running as root, but there is neither a `postgres` nor a `nobody` user", pytrace=False)


class Cluster:
    """One initdb'd, running PostgreSQL server in a temporary directory."""

    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        self.user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="oncall-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.port = _free_port()
        self.running = False

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user.pw_name, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.root)
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{tail}",
                pytrace=False,
            )

    def start(self) -> None:
        self.sockets.mkdir()
        if self.user is not None:
            for path in (self.root, self.sockets):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--no-locale",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.sockets} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


_cluster: Cluster | None = None


def _shared_cluster() -> Cluster:
    """One cluster per test process, however many times the fixtures are registered."""
    global _cluster
    if _cluster is None or not _cluster.running:
        cluster = Cluster()
        try:
            cluster.start()
        except BaseException:
            cluster.stop()
            raise
        _cluster = cluster
    return _cluster


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A `postgresql+psycopg://` URL to a fresh database on the throwaway cluster."""
    cluster = _shared_cluster()
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.stop()


@pytest.fixture
def postgres_database_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database for one test, dropped (connections and all) afterwards."""
    assert _cluster is not None
    cluster = _cluster
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        if cluster.running:
            cluster.drop_database(name)

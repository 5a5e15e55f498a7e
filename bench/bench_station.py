"""Paging-station benchmark: intake rate, alert-to-first-dispatch latency, engine tick cost, memory.

    .venv/bin/python bench/bench_station.py [--alerts 5000] [--incidents 10000]

1. Sustained intake: Alertmanager payloads (one alert each, grouped into 100 groups) posted over
   64 keep-alive connections to a real `serve` on loopback, SQLite in WAL mode; every 2xx is
   after its commit (synchronous=FULL), with the item-by-item fallback for a failed batch in
   place. Target ≥ 2,500 alerts/s. The client is a plain HTTP/1.1 one on asyncio streams, since
   it shares the two cores with the station: aiohttp's client costs about three times the CPU
   per request and sends headers and body apart (twice the reads for the station); its figure
   is printed too.
2. Latency: generic webhook alerts (each a new incident) at 50/s; from just before the POST to the
   first notification's dispatch as recorded in the store. Target p99 < 50 ms.
3. Engine tick cost with 10,000 open incidents (created over the last 5 minutes, so repeats fall due
   every second), in process. Target < 50 ms.
4. Resident memory (VmRSS) of `serve` after the intake runs, and on the 10,000-incident database.
5. Store round trips per SMS (SPEC §10: one claim and one record), counted on the sender threads
   while the real `twilio` client pages five incidents through the fake Twilio API.
6. Fail-over (SPEC §10): two `serve` on a throwaway PostgreSQL cluster (`initdb`, as the tests use)
   with the default 15 s lease; SIGKILL of the engine holder, then an alert to the standby: the
   time from the kill to that alert's first page. Target: within the lease + 5 s.

Figures are machine-dependent: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import machine
from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oncall_desktop.engine.engine import EscalationEngine  # noqa: E402
from oncall_desktop.engine.intake import parse  # noqa: E402
from oncall_desktop.store.models import IncidentRow, NotificationRow  # noqa: E402
from oncall_desktop.store.station_models import EscalationStateRow  # noqa: E402
from tests.helpers_station import configured_store, integration, start_serve, stop_serve  # noqa: E402


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def am_payload(n: int, groups: int) -> bytes:
    group = n % groups
    labels = {"alertname": f"Alert{group}", "instance": f"host-{n}", "severity": "warning"}
    return json.dumps(
        {
            "version": "4",
            "status": "firing",
            "groupKey": f'{{}}:{{alertname="Alert{group}"}}',
            "groupLabels": {"alertname": f"Alert{group}"},
            "commonLabels": labels,
            "commonAnnotations": {"summary": f"Alert {group} firing"},
            "alerts": [{"status": "firing", "labels": labels, "annotations": {}, "fingerprint": f"fp{n}"}],
        }
    ).encode()


async def intake_rate(url: str, count: int, concurrency: int, first: int = 0) -> tuple[float, int]:
    """Alerts/s and non-2xx answers for `count` payloads (alerts `first`, `first` + 1, …) posted
    over `concurrency` keep-alive connections by a plain HTTP/1.1 client on asyncio streams: each
    request is written whole in one go (as Alertmanager's Go client writes a small body with its
    headers) and each answer is read to its end before the next request on that connection."""
    target = urlsplit(url)
    head = (
        f"POST {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\nContent-Type: application/json\r\n"
        "Content-Length: "
    ).encode()
    bodies = [am_payload(n, 100) for n in range(first, first + count)]
    requests = deque(head + b"%d\r\n\r\n" % len(body) + body for body in bodies)
    failures = 0

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(target.hostname, target.port)
        try:
            while requests:
                writer.write(requests.popleft())
                status, headers = await read_answer(reader)
                failures += status >= 300
                if headers.get(b"connection") == b"close":
                    writer.close()
                    reader, writer = await asyncio.open_connection(target.hostname, target.port)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return count / (time.perf_counter() - start), failures


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes]]:
    """The status and headers of one HTTP/1.1 answer, its body read and dropped."""
    status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[:-2]
    headers = {}
    for line in lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if b"content-length" not in headers:
        raise RuntimeError(f"an answer without Content-Length: {status_line!r} {headers}")
    await reader.readexactly(int(headers[b"content-length"]))
    return int(status_line.split()[1]), headers


async def intake_rate_aiohttp(url: str, count: int, concurrency: int, first: int = 0) -> tuple[float, int]:
    """The same with aiohttp's client (which sends the headers and the body of each request apart,
    and costs about three times the CPU per request of `intake_rate` on the station's two cores)."""
    payloads = [am_payload(n, 100) for n in range(first, first + count)]
    failures = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for payload in payloads:
        queue.put_nowait(payload)

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        while not queue.empty():
            body = queue.get_nowait()
            async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                await response.read()
                if response.status >= 300:
                    failures += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return count / elapsed, failures


async def latency_run(url: str, rate: float, seconds: float) -> dict[str, float]:
    sent_at: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:

        async def one(uid: str) -> None:
            body = json.dumps({"title": f"latency {uid}", "severity": "P1", "alert_uid": uid}).encode()
            sent_at[uid] = time.time()
            async with session.post(url, data=body) as response:
                await response.read()

        tasks = []
        start = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(f"lat-{i}")))
        await asyncio.gather(*tasks)
    return sent_at


def first_dispatch(store_url: str, sent_at: dict[str, float]) -> list[float]:
    from oncall_desktop.store import Store

    store = Store.open(store_url)
    try:
        with store.session() as session:
            rows = session.execute(
                select(IncidentRow.dedup_key, func.min(NotificationRow.sent_at))
                .join(NotificationRow, NotificationRow.incident_id == IncidentRow.id)
                .where(NotificationRow.state == "sent")
                .group_by(IncidentRow.id)
            ).all()
    finally:
        store.close()
    return [(sent.timestamp() - sent_at[key]) * 1000 for key, sent in rows if key in sent_at and sent]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait_for(predicate: object, timeout: float) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)


def bench_intake_and_latency(workdir: Path, alerts: int) -> None:
    url = f"sqlite:///{workdir / 'intake.db'}"
    store = configured_store(url)
    station = start_serve(url, workdir / "serve-intake.log")
    try:
        am_url = station.url(integration(store, "prod-am"))
        asyncio.run(intake_rate(am_url, 300, 32))  # warm up
        rate, failures = asyncio.run(intake_rate(am_url, alerts, 64))
        groups = len(store.incidents.newest())
        print(
            f"intake: {rate:,.0f} alerts/s sustained ({alerts} alerts, 64 concurrent clients, "
            f"{failures} non-2xx, {groups} incidents from 100 groups)"
        )
        rate, failures = asyncio.run(intake_rate_aiohttp(am_url, alerts, 64, first=alerts))
        print(f"intake with aiohttp's client: {rate:,.0f} alerts/s ({alerts} new alerts, {failures} non-2xx)")
        print(f"serve RSS after intake: {rss_mib(station.process.pid):.0f} MiB")
        hook_url = station.url(integration(store, "hook"))
        # The clock starts before each POST: a garbage collection in this process (the client)
        # between the two would count against the station. What is here now lives to the end.
        gc.freeze()
        sent_at = asyncio.run(latency_run(hook_url, 50, 10))
        wait_for(lambda: len(first_dispatch(url, sent_at)) >= len(sent_at), 30)
        latencies = first_dispatch(url, sent_at)
        print(
            f"alert → first dispatch at 50 alerts/s ({len(latencies)} incidents): "
            f"p50 {statistics.median(latencies):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
            f"max {max(latencies):.0f} ms"
        )
        print(f"serve RSS after latency run: {rss_mib(station.process.pid):.0f} MiB")
    finally:
        stop_serve(station)
        store.close()


def bench_engine(workdir: Path, count: int) -> None:
    url = f"sqlite:///{workdir / 'engine.db'}"
    store = configured_store(url)
    hook = integration(store, "hook")
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(minutes=5)
    batch = []
    for n in range(count):
        body = json.dumps({"title": f"incident {n}", "severity": "P1", "alert_uid": f"e{n}"}).encode()
        created = start + timedelta(seconds=300 * n / count)
        batch.append((created, parse(hook, body)))
    for offset in range(0, count, 1000):
        for created, result in batch[offset : offset + 1000]:
            store.incidents.ingest(hook.id, result, created)
    engine = EscalationEngine(store, holder="bench")
    first = time.perf_counter()
    clock = now
    report = engine.tick(clock)
    while report.more:
        report = engine.tick(clock)
    initial = time.perf_counter() - first
    with store.session() as session:
        notes = session.scalar(select(func.count()).select_from(NotificationRow))
    print(f"engine: first pass over {count:,} new incidents {initial:.1f} s ({notes:,} notifications)")
    timings = []
    sent = 0
    for _ in range(60):
        clock += timedelta(seconds=1)
        began = time.perf_counter()
        report = engine.tick(clock)
        timings.append((time.perf_counter() - began) * 1000)
        sent += len(report.sent)
    idle = []
    for _ in range(20):
        began = time.perf_counter()
        engine.tick(clock)
        idle.append((time.perf_counter() - began) * 1000)
    print(
        f"engine tick with {count:,} open incidents, 1 s apart: median {statistics.median(timings):.1f} ms, "
        f"mean {statistics.mean(timings):.1f} ms, "
        f"p99 {percentile(timings, 0.99):.1f} ms, max {max(timings):.1f} ms "
        f"({sent / 60:.0f} notifications/s due); tick with nothing due: {statistics.median(idle):.1f} ms"
    )
    engine.release()
    station = start_serve(url, workdir / "serve-engine.log")
    try:

        def settled() -> bool:
            with store.session() as session:
                behind = session.scalar(
                    select(func.count())
                    .select_from(EscalationStateRow)
                    .where(EscalationStateRow.next_due_at < datetime.now(UTC) - timedelta(seconds=2))
                )
            return behind == 0

        wait_for(settled, 60)
        print(f"serve RSS escalating {count:,} open incidents: {rss_mib(station.process.pid):.0f} MiB")
    finally:
        stop_serve(station, signal.SIGTERM)
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=5000)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument(
        "--only", choices=["intake", "engine", "round-trips", "fail-over"], help="run one part"
    )
    args = parser.parse_args()
    print(machine.describe())
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "intake"):
            bench_intake_and_latency(Path(tmp), args.alerts)
        if args.only in (None, "engine"):
            bench_engine(Path(tmp), args.incidents)
        if args.only in (None, "round-trips"):
            bench_sms_round_trips(Path(tmp))
        if args.only in (None, "fail-over"):
            bench_fail_over(Path(tmp))
    return 0


def bench_sms_round_trips(workdir: Path) -> None:
    from tests.helpers_paging import paging

    counts = {"statements": 0, "commits": 0}

    def on_sender(name: str) -> Callable[..., None]:
        def count(*_args: object) -> None:
            if threading.current_thread().name.startswith("send-sms"):
                counts[name] += 1

        return count

    with paging(f"sqlite:///{workdir / 'round-trips.db'}") as env:
        # five incidents to one number stay under the SMS limit: one message each
        for n in range(5):
            env.open_incident(f"Checkout down {n}", key=f"rt{n}")
        engine = env.store.db.engine
        event.listen(engine, "before_cursor_execute", on_sender("statements"))
        event.listen(engine, "commit", on_sender("commits"))
        env.tick()
        sms = len(env.fake.messages)
    print(
        f"store round trips per SMS: {counts['commits'] / sms:.1f} transactions (target 2: one claim, "
        f"one record) of {counts['statements'] / sms:.1f} statements in all ({sms} SMS)"
    )


def bench_fail_over(workdir: Path) -> None:
    from tests.pg import Cluster

    cluster = Cluster()
    cluster.start()
    stations = []
    try:
        url = cluster.url(cluster.create_database())
        store = configured_store(url)
        first = start_serve(url, workdir / "serve-a.log")
        stations.append(first)
        wait_for(lambda: (lease := store.lease.state()) is not None and lease.holder is not None, 30)
        standby = start_serve(url, workdir / "serve-b.log")
        stations.append(standby)
        hook = integration(store, "hook")
        killed = time.time()
        stop_serve(first, signal.SIGKILL)
        body = json.dumps({"title": "Checkout down", "severity": "P1", "alert_uid": "fail-over"})
        request = urllib.request.Request(standby.url(hook), data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status in (200, 201)
        sent_at = {"fail-over": killed}
        wait_for(lambda: first_dispatch(url, sent_at), 60)
        (took,) = first_dispatch(url, sent_at)
        lease = store.lease.state()
        print(
            f"fail-over: SIGKILL of the engine holder → first page by the standby {took / 1000:.1f} s "
            f"(lease 15 s, target < 20 s; the standby holds epoch {lease.epoch if lease else '?'})"
        )
        store.close()
    finally:
        for station in stations:
            if station.process.poll() is None:
                stop_serve(station, signal.SIGTERM)
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())

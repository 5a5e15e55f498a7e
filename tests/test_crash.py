"""Crash drills with real peers: `serve` killed with SIGKILL at random moments — inside provider calls
made to hang too — and restarted, against the real `twilio` client on the fake Twilio API and a real
SMTP server; then what the providers received is compared with the planner: no SMS or call missed
or doubled, an email repeated only where marked as possibly repeated (SPEC §10)."""

from __future__ import annotations

import random
from pathlib import Path

from tests.helpers_station import stop_serve, wait_until
from tests.soak import check_exactly_once, drill, kill, post_all

KILLS = 20


def test_twenty_kills_at_random_moments_neither_lose_nor_double_a_page(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    with drill(tmp_path) as d:
        station = d.serve()
        post_all(d, station, [f"k{i}" for i in range(10)])
        hangs = 0
        for kill_number in range(KILLS):
            if kill_number == KILLS // 2:
                post_all(d, station, [f"late{i}" for i in range(10)])  # 20 incidents in all
            if kill_number % 3 == 1:
                # inside a provider call: Twilio takes the request and does not answer before the kill
                d.fake.hang_next(30.0)
                wait_until(lambda: d.fake.hanging > 0, timeout=60, what="a hung provider call")
                hangs += 1
            else:
                goal = d.sent() + rng.randint(1, 8)
                wait_until(lambda goal=goal: d.sent() >= goal, timeout=60, what=f"{goal} pages sent")
            kill(station)
            station = d.serve()
        d.fake.hangs.clear()
        wait_until(lambda: d.sent() > 300, timeout=120, what="the escalations to go on")
        d.resolve_all()
        d.settle(timeout=60)
        assert stop_serve(station) == 0
        counts = check_exactly_once(d.store, d.fake, d.mailbox, f"seed {seed}")
    assert hangs >= 6
    assert counts["late"] > 0
    assert counts["sms"] < counts["pages"]  # bundled under the SMS limit


def test_a_kill_right_after_a_backlog_builds_sends_every_page_exactly_once(tmp_path: Path) -> None:
    with drill(tmp_path, speed=120) as d:
        station = d.serve()
        post_all(d, station, [f"b{i}" for i in range(25)])
        wait_until(lambda: d.sent() >= 50, timeout=60, what="the first pages")
        kill(station)
        # The next station takes over once the lease lapsed (real seconds, ten virtual minutes):
        # by then every incident is pages behind (about a hundred of them), and it plans them all
        # at once. Slow providers keep the backlog there long enough to kill the station in the
        # middle of it; how many are still waiting when it is seen depends on the machine's speed.
        d.fake.latency = d.mailbox.latency = 0.5
        station = d.serve()
        wait_until(lambda: d.pending() >= 50, timeout=60, what="a backlog of 50 due pages")
        kill(station)  # right after the backlog built, with its first pages going out
        d.fake.latency = d.mailbox.latency = 0.0
        station = d.serve()
        wait_until(lambda: d.sent() >= 200, timeout=90, what="the backlog to be sent")
        d.resolve_all()
        d.settle(timeout=60)
        assert stop_serve(station) == 0
        counts = check_exactly_once(d.store, d.fake, d.mailbox, "backlog")
    assert counts["late"] >= 100  # the backlog: a hundred pages and more sent after they were due

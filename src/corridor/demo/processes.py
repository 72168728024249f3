"""`corridor demo --posts`: the demo's scenario with HQ and the post nodes as separate processes.

::

    parent (this module)                 FlakyProxy per post           processes
      simulate day d, queue each   --->  seeded cuts of new and  --->  corridor serve --role hq
      post's signed events in its        open connections, a           corridor serve --role post
      outbox (PostNode.enqueue_signed)   link down for a moment        (one per post with events)
      wait until every outbox row has a log index, next day
      stop the posts, then HQ; write the daily bulletins, publish, summarise HQ's store

The HQ data directory is made as :func:`corridor.demo.run_demo` makes it (keys derived from the
seed, registries, every post key registered); each post that has events (the simulator's come
from the two entry checkpoints) gets ``<dir>/posts/<ID>/`` with the key the simulation derived
for it. HQ's store is filled by its sync endpoint only, through the one ingest path. The figures
equal those of a run without ``--posts`` for the same seed and days; the log holds the same
entries in arrival order, so its root differs (``"log_order": "arrival"`` in the summary).
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from corridor.datadir import DataDir
from corridor.demo.embedded import describe, prepare_hq
from corridor.demo.monitoring import DemoMonitor, alerts_by_kind
from corridor.errors import CorridorError, LogUnavailableError
from corridor.hq.bulletins import write_bulletin
from corridor.hq.provision import HqKeys
from corridor.hq.publish import LogPublisher
from corridor.model.events import PrivateRecord, Submission
from corridor.model.signing import SignedPassage
from corridor.post.node import PostNode
from corridor.post.setup import init_post
from corridor.reports.summary import summary
from corridor.sim.network import FlakyProxy
from corridor.sim.scenario import Scenario, load_scenario
from corridor.sim.traffic import SimulatedDay, Simulation

POSTS_DIR = "posts"
HQ_LOG = "hq.log"
NODE_LOG = "node.log"
#: Seconds between a post's sync rounds, and between HQ's checkpoints, in the demo.
SYNC_INTERVAL = "0.2"
PUBLISH_INTERVAL = "0.5"
#: Chance that a new connection through a proxy is cut (mid-request or its answer lost).
CUT_RATE = 0.2
#: Seconds between the fault schedule's actions (uniform), and how long a link stays down.
FAULT_GAP = (0.2, 0.8)
DOWN_SECONDS = 1.0
MAX_DOWN_PERIODS = 2
#: How long a day may take to reach HQ before the demo gives up.
DAY_TIMEOUT = 120.0

Progress = Callable[[int, int], None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NodeProcess:
    """``python -m corridor ARGS`` in its own process group, its output in ``log``."""

    def __init__(self, args: Sequence[str], log: Path, env: dict[str, str]) -> None:
        self.log = log
        self._handle = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "corridor", *args],
            stdin=subprocess.DEVNULL,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise CorridorError(f"{self.log.parent.name} process exited early; its log:\n{tail}")

    def wait_http(self, url: str, timeout: float = 30.0) -> None:
        """Wait until ``url`` answers at all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                httpx.get(url, timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise LogUnavailableError(f"{url} did not answer in {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        """Ctrl-C (SIGINT) to the process group, as an operator stops a node; SIGKILL if it
        has not stopped within 20 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._handle.close()


@dataclass
class PostRun:
    """One post node of the demo: its directory, its proxy to HQ, its process, and the
    parent's own handle on its outbox (to queue events and watch them being acknowledged)."""

    post: str
    directory: Path
    proxy: FlakyProxy
    process: NodeProcess
    node: PostNode
    down_periods: int = 0

    def retries(self) -> int:
        """Sync rounds that failed and were retried, from the node's log."""
        text = self.process.log.read_text(errors="replace")
        return len(re.findall(r"retrying in", text))

    def details(self) -> dict[str, Any]:
        counts = self.node.counts()
        return {
            "events_pushed": counts.synced,
            "pending": counts.pending,
            "connections": self.proxy.connections,
            "cuts": self.proxy.cuts,
            "down_periods": self.down_periods,
            "retries": self.retries(),
        }


@dataclass
class FaultSchedule:
    """Seeded faults on the posts' links while the demo runs: every so often one link is cut
    (every open connection); the first fault, and later one in ten up to ``MAX_DOWN_PERIODS``,
    takes a link down for ``DOWN_SECONDS`` instead."""

    runs: list[PostRun]
    rng: random.Random
    stop: threading.Event = field(default_factory=threading.Event)
    downs: int = 0

    def run(self) -> None:
        while not self.stop.wait(self.rng.uniform(*FAULT_GAP)):
            target = self.rng.choice(self.runs)
            if self.downs == 0 or (self.downs < MAX_DOWN_PERIODS and self.rng.random() < 0.1):
                self.downs += 1
                target.down_periods += 1
                target.proxy.faults.down = True
                target.proxy.sever()
                self.stop.wait(DOWN_SECONDS)
                target.proxy.faults.down = False
            else:
                target.proxy.sever()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The demo's HQ is the directory's SQLite store, whatever the caller's environment says.
    env.pop("CORRIDOR_DATABASE_URL", None)
    env["CORRIDOR_SYNC_INTERVAL"] = SYNC_INTERVAL
    env["CORRIDOR_PUBLISH_INTERVAL"] = PUBLISH_INTERVAL
    env["CORRIDOR_MONITOR"] = "false"  # replayed in simulated time afterwards (_finish_log)
    return env


def _by_post(submissions: list[Submission]) -> dict[str, list[tuple[bytes, PrivateRecord, bytes]]]:
    grouped: dict[str, list[tuple[bytes, PrivateRecord, bytes]]] = {}
    for s in submissions:
        post = SignedPassage.from_bytes(s.raw).entry.post
        assert s.private is not None and s.salt is not None  # the simulator sends both
        grouped.setdefault(post, []).append((s.raw, s.private, s.salt))
    return grouped


def _wait_acknowledged(runs: list[PostRun], hq: NodeProcess, timeout: float) -> None:
    """Wait until no post has an unacknowledged outbox row; fail fast on a refused push."""
    deadline = time.monotonic() + timeout
    while True:
        hq.check_alive()
        pending = 0
        for run in runs:
            run.process.check_alive()
            refused = [a for a in run.node.open_alerts() if str(a["kind"]).startswith("push_")]
            if refused:
                raise CorridorError(f"post {run.post}: {refused[0]['message']}")
            pending += run.node.counts().pending
        if pending == 0:
            return
        if time.monotonic() > deadline:
            raise LogUnavailableError(
                f"{pending:,} events still not acknowledged by HQ after {timeout:.0f} s; "
                f"see the logs under {runs[0].directory.parent}"
            )
        time.sleep(0.1)


def _finish_log(
    datadir: DataDir,
    keys: HqKeys,
    scenario: Scenario,
    simulation: Simulation,
    days: list[SimulatedDay],
) -> tuple[dict[str, Any], dict[str, int], str, str]:
    """With HQ stopped: the monitor over the simulated days in their own time (HQ's live
    monitor would have judged 2020's traffic by today's clock, so the demo's HQ runs without
    it), the daily bulletins, a last checkpoint, the summary figures and the alerts."""
    corridor = scenario.corridor
    store = datadir.open_store()
    try:
        monitor = DemoMonitor(store, scenario, simulation)
        for day in days:
            monitor.feed(day)
        publisher = LogPublisher(store, keys.log, export_dir=datadir.log)
        for day in days:
            write_bulletin(
                store, corridor.id, keys.hq, day.day, simulated=scenario.traffic.simulated
            )
        _, checkpoint_text = publisher.publish()
        with store.read() as conn:
            figures = summary(conn)
        alerts = alerts_by_kind(store)
    finally:
        store.dispose()
    return figures, alerts, checkpoint_text, publisher.vkey


def run_demo_posts(
    directory: Path,
    scenario_file: Path,
    *,
    days: int,
    seed: int,
    on_day: Progress | None = None,
) -> dict[str, Any]:
    """Run the demo with HQ and the posts as processes; return the summary (the same figures as
    :func:`corridor.demo.run_demo`, plus ``log_order`` and ``posts``)."""
    scenario = load_scenario(scenario_file)
    traffic = scenario.traffic
    simulation = Simulation(scenario, seed)
    datadir, store, keys = prepare_hq(directory, scenario_file, scenario, simulation, seed)
    store.dispose()
    env = _child_env()
    hq_port = _free_port()
    hq = NodeProcess(
        ["serve", "--role", "hq", "--dir", str(directory), "--port", str(hq_port)],
        directory / HQ_LOG,
        env,
    )
    runs: list[PostRun] = []
    schedule: FaultSchedule | None = None
    faults: threading.Thread | None = None
    simulated_days: list[SimulatedDay] = []
    try:
        hq.wait_http(f"http://127.0.0.1:{hq_port}/log/checkpoint")
        for n, post in enumerate(sorted({traffic.inbound_entry_post, traffic.outbound_entry_post})):
            runs.append(_start_post(directory, scenario_file, simulation, post, hq_port, seed, n))
        schedule = FaultSchedule(runs, random.Random(f"corridor-demo-faults/{seed}"))
        faults = threading.Thread(target=schedule.run, name="demo-faults", daemon=True)
        faults.start()
        nodes = {run.post: run.node for run in runs}
        for done, day in enumerate(simulation.days(days), start=1):
            simulated_days.append(day)
            for post, events in _by_post(day.submissions).items():
                if post not in nodes:
                    raise CorridorError(f"the simulator made events at {post}, which has no node")
                nodes[post].enqueue_signed(events)
            _wait_acknowledged(runs, hq, DAY_TIMEOUT)
            if on_day is not None:
                on_day(done, days)
        if schedule is not None:
            schedule.stop.set()
        if faults is not None:
            faults.join(DOWN_SECONDS + 5)
        posts = {run.post: run.details() for run in runs}
    finally:
        if schedule is not None:
            schedule.stop.set()
        for run in runs:
            run.process.stop()
            run.node.close()
            run.proxy.stop()
        hq.stop()
    figures, alerts, checkpoint_text, vkey = _finish_log(
        datadir, keys, scenario, simulation, simulated_days
    )
    described = describe(
        scenario,
        datadir,
        days=days,
        seed=seed,
        figures=figures,
        alerts=alerts,
        checkpoint_text=checkpoint_text,
        vkey=vkey,
    )
    return {**described, "log_order": "arrival", "posts": posts}


def _start_post(
    directory: Path,
    scenario_file: Path,
    simulation: Simulation,
    post: str,
    hq_port: int,
    seed: int,
    number: int,
) -> PostRun:
    """A proxy to HQ, the post's data directory (its derived key), and its node process."""
    proxy = FlakyProxy("127.0.0.1", hq_port, seed=seed * 1000 + number)
    proxy.faults.random_cut_rate = CUT_RATE
    # Whatever else the seeded schedule does, every link loses at least one answer: the first.
    proxy.faults.drop_next_reply = True
    proxy_port = proxy.start()
    post_dir = directory / POSTS_DIR / post
    hq_url = f"http://127.0.0.1:{proxy_port}"
    init_post(post_dir, post, hq_url, scenario_file, key=simulation.post_keys[post])
    node = PostNode.open(post_dir)
    console = _free_port()
    process = NodeProcess(
        ["serve", "--role", "post", "--dir", str(post_dir), "--port", str(console)],
        post_dir / NODE_LOG,
        _child_env(),
    )
    return PostRun(post, post_dir, proxy, process, node)


def render_posts(result: dict[str, Any]) -> RenderableType:
    """The ``posts`` part of the summary as a table, and what the log order means."""
    table = Table(title="Post nodes (processes, flaky links)", title_justify="left")
    table.add_column("post")
    for column in ("events pushed", "connections", "cuts", "down periods", "retries"):
        table.add_column(column, justify="right")
    for post, d in result["posts"].items():
        table.add_row(
            post,
            f"{d['events_pushed']:,}",
            f"{d['connections']:,}",
            f"{d['cuts']:,}",
            f"{d['down_periods']:,}",
            f"{d['retries']:,}",
        )
    note = Text("log order: arrival (same entries and figures as without --posts; another root)")
    return Group(table, note)

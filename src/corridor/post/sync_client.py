"""The post's sync with HQ: push the outbox exactly once, pull registries, check checkpoints,
fetch receipts, and keep at it with exponential backoff while the link is down.

Exactly once, from the post's side: rows are pushed oldest first by ``seq``, in batches; a row is
marked with its log index only from HQ's answer, in one transaction with the others of its
batch; a push that fails for any reason marks nothing, and the next push sends the same rows
again (HQ answers an event it already holds with its first index, ``duplicate: true``). No row
is ever dropped: a ``409`` (HQ holds one of the event ids with other content) or a ``422`` (HQ
refuses an event) raises an alert and stops the push until a person looks at it.

HTTP goes through one ``httpx.Client`` (the transport seam: tests pass an in-process client
for a real FastAPI app). Network errors and ``5xx`` answers raise :class:`HqUnavailableError`,
which :meth:`SyncClient.run` answers with a backoff of ``base * 2**(n-1)`` seconds (capped at
``cap``), half of it random ("equal jitter") so that posts coming back online do not all retry
at once.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import bindparam, func, select, update

from corridor.errors import (
    ConflictError,
    CorridorError,
    SignatureError,
    ValidationError,
    VerificationError,
)
from corridor.ledger.checkpoint import Checkpoint
from corridor.model.events import format_time
from corridor.post import checkpoints, receipts
from corridor.post.checkpoints import HqUnavailableError, HttpTileReader
from corridor.post.node import META_LAST_PULL, META_LAST_SYNC, PostNode, last_seq_given
from corridor.post.records import OutboxRow
from corridor.post.registry import RegistryUpdate, apply_registry
from corridor.post.wire import (
    PUSH,
    PUSH_PATH,
    REGISTRY,
    REGISTRY_PATH,
    PushAnswer,
    error_message,
    parse_push_answer,
    push_body,
    signed_headers,
)
from corridor.store import queries
from corridor.store.schema import outbox

log = logging.getLogger("corridor.post.sync")

#: Marks one outbox row with HQ's log index, if it is still the event HQ acknowledged and has
#: none yet (never overwrites an index).
_MARK_ACKNOWLEDGED = (
    update(outbox)
    .where(
        outbox.c.seq == bindparam("ack_seq"),
        outbox.c.event_id == bindparam("ack_event"),
        outbox.c.log_index.is_(None),
    )
    .values(log_index=bindparam("ack_index"), acked_at=bindparam("ack_at"))
)


@dataclass
class Backoff:
    """Delays after consecutive failures: ``base * 2**(n-1)`` capped at ``cap``, of which the
    upper half is random."""

    base: float = 1.0
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self, failures: int) -> float:
        return min(self.cap, self.base * 2.0 ** max(failures - 1, 0))

    def delay(self, failures: int) -> float:
        ceiling = self.ceiling(failures)
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class _Batch:
    """One push ready to send: the rows (oldest first), the body and its signed headers."""

    rows: list[OutboxRow]
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class PushResult:
    """What one push did: rows sent, rows newly acknowledged, of which HQ already held some."""

    sent: int
    acknowledged: int
    duplicates: int
    gaps: tuple[tuple[int, int], ...] = ()


class SyncClient:
    """Sync of one post node with HQ over ``transport`` (an ``httpx.Client``; by default one
    for the node's HQ URL). ``sleep`` replaces waiting between rounds (tests); ``monotonic``
    is the clock that decides when the registry is pulled again."""

    def __init__(
        self,
        node: PostNode,
        transport: httpx.Client | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        backoff: Backoff | None = None,
        interval: float = 5.0,
        registry_interval: float = 600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = node
        self._owned = transport is None
        self.http = transport if transport is not None else httpx.Client(timeout=15.0)
        self._sleep = sleep
        self.backoff = backoff or Backoff()
        self.interval = interval
        self.registry_interval = registry_interval
        self._monotonic = monotonic
        self._pulled_at: float | None = None
        self.tiles = HttpTileReader(lambda path: self.http.get(self._url(path)))

    def _url(self, path: str) -> str:
        if str(self.http.base_url):
            return path
        if not self.node.hq_url:
            raise HqUnavailableError("this post has no HQ URL: set it with `corridor post init`")
        return self.node.hq_url + path

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = self.http.request(method, self._url(path), **options)
        except httpx.HTTPError as exc:
            raise HqUnavailableError(f"cannot reach HQ: {exc}") from exc
        if response.status_code >= 500:
            raise HqUnavailableError(f"HQ answered {response.status_code} to {path}")
        return response

    # -- push ----------------------------------------------------------------------------------

    def push_once(self, batch_size: int = 500) -> PushResult:
        """Push the oldest unacknowledged rows (at most ``batch_size``) and mark the ones HQ
        logged. Raises on any refusal, after raising an alert; nothing is ever dropped."""
        batch = self._batch(self.node.unacknowledged(batch_size))
        if batch is None:
            return PushResult(0, 0, 0)
        response = self._post(batch)
        if response.status_code == 413 and len(batch.rows) > 1:
            return self.push_once(max(1, len(batch.rows) // 2))
        return self._settle(batch, self._answer(response))

    def _batch(self, rows: list[OutboxRow]) -> _Batch | None:
        """The signed request for ``rows`` (None for no rows)."""
        if not rows:
            return None
        body = push_body(self.node.post_id, rows, self.node.clock())
        headers = signed_headers(self.node.post_id, self.node.key, PUSH, body)
        headers["Content-Type"] = "application/json"
        return _Batch(rows, body, headers)

    def _post(self, batch: _Batch) -> httpx.Response:
        return self._send("POST", PUSH_PATH, content=batch.body, headers=batch.headers)

    def _answer(self, response: httpx.Response) -> PushAnswer:
        """HQ's answer to a push, or the error its refusal means (after an alert)."""
        if response.status_code != 200:
            self._refused(response.status_code, _json(response))
        try:
            return parse_push_answer(_json(response))
        except ValidationError as exc:
            raise HqUnavailableError(f"HQ's push answer is malformed: {exc}") from exc

    def _settle(self, batch: _Batch, answer: PushAnswer) -> PushResult:
        """Mark the rows HQ logged and check the checkpoint it answered with."""
        acknowledged = self._acknowledge({r.seq: r.event_id for r in batch.rows}, answer)
        duplicates = sum(1 for ack in answer.acks if ack.duplicate)
        log.info(
            "pushed %d event(s): %d acknowledged, %d already at HQ",
            len(batch.rows),
            acknowledged,
            duplicates,
        )
        if answer.checkpoint is not None and self.node.log_vkey() is not None:
            self.check_checkpoint(answer.checkpoint)
        return PushResult(len(batch.rows), acknowledged, duplicates, answer.gaps)

    def _refused(self, status: int, data: object) -> None:
        message = error_message(data, f"HQ answered {status}")
        kinds: dict[int, tuple[str, type[CorridorError]]] = {
            401: ("push_unauthorized", SignatureError),
            409: ("push_conflict", ConflictError),
            413: ("push_rejected", CorridorError),
            422: ("push_rejected", CorridorError),
        }
        kind, error = kinds.get(status, ("push_rejected", CorridorError))
        self.node.raise_alert(kind, f"HQ refused the push ({status}): {message}")
        log.warning("HQ refused the push (%d); rows stay in the outbox", status)
        raise error(f"HQ refused the push ({status}): {message}")

    def _acknowledge(self, rows_by_seq: dict[int, str], a: PushAnswer) -> int:
        """Mark the rows HQ logged, all in one transaction, after checking every ack is ours."""
        for ack in a.acks:
            if rows_by_seq.get(ack.seq) != ack.event_id:
                message = f"HQ acknowledged seq {ack.seq} with event {ack.event_id}, not ours"
                self.node.raise_alert("bad_ack", message)
                raise VerificationError(message)
        now = format_time(self.node.clock())
        done = 0
        with self.node.store.write() as conn:
            if a.acks:
                # One statement run for every ack (executemany); its rowcount is the sum.
                done = conn.execute(
                    _MARK_ACKNOWLEDGED,
                    [
                        {
                            "ack_seq": ack.seq,
                            "ack_event": ack.event_id,
                            "ack_index": ack.log_index,
                            "ack_at": now,
                        }
                        for ack in a.acks
                    ],
                ).rowcount
            queries.set_meta(conn, META_LAST_SYNC, now)
        # A gap HQ reports below rows it acknowledged earlier means HQ lost events.
        acked_in_gaps = [gap for gap in a.gaps if self._has_acked_between(*gap)]
        if acked_in_gaps:
            self.node.raise_alert(
                "sequence_gap", f"HQ reports never receiving acknowledged seqs {acked_in_gaps}"
            )
        return done

    def _has_acked_between(self, first: int, last: int) -> bool:
        """Whether HQ acknowledged any seq from ``first`` to ``last``: one still in the outbox
        with a log index, or one given out and no longer there (only a purge deletes a row, and
        it deletes only rows HQ logged)."""
        with self.node.store.read() as conn:
            given = min(last, last_seq_given(conn))
            if given < first:
                return False
            pending = conn.execute(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.seq.between(first, given), outbox.c.log_index.is_(None))
            ).scalar_one()
        return int(pending) < given - first + 1

    def push_all(self, batch_size: int = 500, depth: int = 2) -> int:
        """Push batches until the outbox has no unacknowledged row; return rows acknowledged.

        Batches go in ``seq`` order with up to ``depth`` pushes in flight, so that HQ verifies
        one while it writes the one before (HQ writes a post's overlapping pushes in seq order:
        :mod:`corridor.hq.push_order`), and the post reads, signs and marks its own rows meanwhile.
        The second push starts only after the first answer, so the first two cannot pass each
        other on the way. Answers are settled in order; a failure anywhere marks nothing more,
        and the rows not marked are pushed again later (HQ answers duplicates with their first
        index)."""
        total = 0
        shrink_to: int | None = None
        with ThreadPoolExecutor(depth, thread_name_prefix="corridor-push") as wire:
            in_flight: deque[tuple[_Batch, Future[httpx.Response]]] = deque()
            upcoming = self._batch(self.node.unacknowledged(batch_size))

            def send_while_fewer_than(limit: int) -> None:
                nonlocal upcoming
                while upcoming is not None and len(in_flight) < limit:
                    in_flight.append((upcoming, wire.submit(self._post, upcoming)))
                    after = upcoming.rows[-1].seq
                    upcoming = self._batch(self.node.unacknowledged(batch_size, after=after))

            answered = False
            while True:
                send_while_fewer_than(depth if answered else 1)
                if not in_flight:
                    break
                batch, future = in_flight.popleft()
                response = future.result()
                if response.status_code == 413 and len(batch.rows) > 1:
                    shrink_to = max(1, len(batch.rows) // 2)
                    break
                answer = self._answer(response)
                answered = True
                # Keep HQ busy: the next push leaves before this answer's rows are marked.
                send_while_fewer_than(depth)
                result = self._settle(batch, answer)
                total += result.acknowledged
                if result.acknowledged == 0:
                    break  # someone else marked these rows: start over from the outbox
        # Leaving the executor waited for any push still in flight; its rows stay unmarked.
        if shrink_to is not None:
            total += self._push_all_sequential(shrink_to)
        return total

    def _push_all_sequential(self, batch_size: int) -> int:
        total = 0
        while True:
            result = self.push_once(batch_size)
            total += result.acknowledged
            if result.sent == 0 or result.acknowledged == 0:
                return total

    # -- registry, checkpoints, receipts -------------------------------------------------------

    def pull_registry(self) -> RegistryUpdate:
        """Fetch and store HQ's registries for this post (docs/sync.md, registry pull)."""
        headers = signed_headers(self.node.post_id, self.node.key, REGISTRY, b"")
        response = self._send("GET", REGISTRY_PATH, headers=headers)
        data = _json(response)
        if response.status_code != 200:
            message = error_message(data, f"HQ answered {response.status_code}")
            if response.status_code == 401:
                raise SignatureError(f"HQ refused the registry pull: {message}")
            raise CorridorError(f"HQ refused the registry pull: {message}")
        if not isinstance(data, dict):
            raise HqUnavailableError("HQ's registry answer is not a JSON object")
        with self.node.store.write() as conn:
            changed = apply_registry(conn, self.node.post_id, data)
            queries.set_meta(conn, META_LAST_PULL, format_time(self.node.clock()))
        if changed.log_key_changed:
            self.node.raise_alert(
                "log_key_changed",
                "HQ's registry names another log key than the one this post trusts; "
                "the old key is kept until an administrator checks the new one with HQ and "
                "runs `corridor post trust-log-key --key <vkey or its SHA-256>`",
            )
        self._pulled_at = self._monotonic()
        log.info(
            "registry pulled: %d vehicles, %d permits, %d keys, %d operators",
            changed.vehicles,
            changed.permits,
            changed.keys,
            changed.operators,
        )
        return changed

    def check_checkpoint(self, note_text: str) -> Checkpoint:
        """Accept HQ's checkpoint if signed and consistent with the last one seen
        (:mod:`corridor.post.checkpoints`); otherwise alert and raise ``VerificationError``."""
        return checkpoints.check_checkpoint(self.node, note_text, self.tiles)

    def fetch_receipts(self, limit: int = 100) -> int:
        """Fetch, verify and store the receipts of logged rows that have none yet
        (:mod:`corridor.post.receipts`); return how many were stored."""
        return receipts.fetch_receipts(self.node, self._send, self.check_checkpoint, limit)

    # -- the loop ------------------------------------------------------------------------------

    def sync_once(self, batch_size: int = 500) -> None:
        """One round: pull the registry when due, push everything, fetch receipts."""
        due = self._pulled_at is None or (
            self._monotonic() - self._pulled_at >= self.registry_interval
        )
        if due or self.node.pseudonym_key() is None:
            self.pull_registry()
        self.push_all(batch_size)
        self.fetch_receipts()

    def run(self, stop: threading.Event) -> None:
        """Sync until ``stop`` is set: after a good round wait ``interval`` seconds (or less,
        when a passage is recorded); after a failure back off."""
        failures = 0
        while not stop.is_set():
            try:
                self.sync_once()
            except CorridorError as exc:
                failures += 1
                delay = self.backoff.delay(failures)
                log.warning("sync: %s: %s; retrying in %.1f s", type(exc).__name__, exc, delay)
                self._wait(delay, stop, wake_on_record=False)
            except Exception:  # a bug must not stop the post from syncing for good
                failures += 1
                delay = self.backoff.delay(failures)
                log.exception("sync round failed; retrying in %.1f s", delay)
                self._wait(delay, stop, wake_on_record=False)
            else:
                failures = 0
                self._wait(self.interval, stop, wake_on_record=True)

    def _wait(self, seconds: float, stop: threading.Event, *, wake_on_record: bool) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
            return
        if not wake_on_record:
            stop.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.node.recorded.wait(min(remaining, 0.25)):
                self.node.recorded.clear()
                return

    def close(self) -> None:
        if self._owned:
            self.http.close()


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None

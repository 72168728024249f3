"""HQ's in-process live feed: what just happened, pushed to the coordinator's open pages.

Producers call :meth:`LiveFeed.publish` from anywhere (request handlers, the position intake's
worker threads, the monitor); each open page holds a :class:`Subscription` on the event loop
that serves it and reads messages with ``await subscription.get()``. Nothing is stored: a page
that connects late reads the current state from the store, then follows the feed.

A slow subscriber must not make HQ grow memory without bound: each subscription has a bounded
queue, and one that is full when a message arrives is *dropped* (closed; its reader sees
:class:`FeedClosed` and the browser's EventSource reconnects and reloads the state). The feed
never blocks a producer.

Topics and their payloads (JSON-ready dicts; times as the log's text form, UTC):

``position``
    the latest fix of a tracked subject (private: only coordinators and admins receive it):
    ``{"device_id", "subject_kind": "vehicle"|"crew"|None, "subject": <vehicle pseudonym or
    crew id, or None>, "lat", "lon", "fixed_at", "speed_mps", "bearing", "battery_pct"}``
``alert``
    an alert opened, updated, closed or acknowledged: its row as
    :func:`corridor.hq.alerts.alert_json` renders it (``id``, ``key``, ``kind``, ``severity``,
    ``subject``, ``message``, ``raised_at``, ``closed_at``, ``acknowledged_by``,
    ``acknowledged_at``, ``evidence``, ``figures``) with ``"change": "opened"|"updated"|
    "closed"|"acknowledged"``, sent by the monitor (corridor.hq.monitoring) and by the
    workspace when someone acknowledges it. Never a plate.
``sync``
    a post's push was accepted: ``{"post", "accepted": <events stored>, "at"}``
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("corridor.hq.live")

POSITION, ALERT, SYNC = "position", "alert", "sync"
TOPICS = (POSITION, ALERT, SYNC)
#: Messages a subscription may hold before it counts as too slow and is dropped.
DEFAULT_QUEUE = 256


class FeedClosed(Exception):
    """The subscription ended: dropped for being too slow, closed by its reader or the feed."""


@dataclass(frozen=True, slots=True)
class Message:
    """One published message: its number in this feed (1, 2, ...), topic and payload."""

    seq: int
    topic: str
    data: Mapping[str, Any]


class Subscription:
    """One reader's bounded queue, bound to the event loop it was created on."""

    def __init__(
        self, feed: LiveFeed, topics: frozenset[str], loop: asyncio.AbstractEventLoop, size: int
    ) -> None:
        self.topics = topics
        self.dropped = False
        self._feed = feed
        self._loop = loop
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue(size)
        self._closed = False

    def _offer(self, message: Message) -> None:
        """On the loop: enqueue, or drop this subscription if its queue is full."""
        if self._closed:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped = True
            log.info("live feed: dropped a subscriber %d messages behind", self._queue.qsize())
            self._end()

    def _end(self) -> None:
        """On the loop: mark closed and wake the reader (the sentinel skips the bound)."""
        if self._closed:
            return
        self._closed = True
        self._feed._forget(self)
        if self.dropped:  # it has missed messages: what it holds is no use, it must reload
            while not self._queue.empty():
                self._queue.get_nowait()
        while True:
            try:
                self._queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()

    async def get(self, timeout: float | None = None) -> Message | None:
        """The next message; None after ``timeout`` seconds without one; :class:`FeedClosed`
        once the subscription ended (closed: after the messages it still held; dropped: at
        once, since it missed some)."""
        if self._closed and self._queue.empty():
            raise FeedClosed("this subscription has ended")
        try:
            message = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        if message is None:
            raise FeedClosed("dropped: too slow" if self.dropped else "the feed closed")
        return message

    def close(self) -> None:
        """End this subscription (its reader went away). Safe from any thread."""
        self._feed._call(self, self._end)


class LiveFeed:
    """Thread-safe publish to async subscribers, each with its own bounded queue."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._seq = itertools.count(1)

    def subscribe(self, topics: Collection[str] = TOPICS) -> Subscription:
        """A new subscription to ``topics``; call from a coroutine on the loop that reads it."""
        unknown = set(topics) - set(TOPICS)
        if unknown:
            raise ValueError(f"unknown topics {sorted(unknown)}; known: {', '.join(TOPICS)}")
        loop = asyncio.get_running_loop()
        subscription = Subscription(self, frozenset(topics), loop, self.queue_size)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        """Send ``data`` to every subscriber of ``topic`` now open. Never blocks: callable from
        sync code, worker threads and coroutines alike."""
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}; known: {', '.join(TOPICS)}")
        with self._lock:
            message = Message(next(self._seq), topic, dict(data))
            targets = [s for s in self._subscriptions if topic in s.topics]
        for subscription in targets:
            self._call(subscription, functools.partial(subscription._offer, message))

    def subscribers(self) -> int:
        """How many subscriptions are open now."""
        with self._lock:
            return len(self._subscriptions)

    def close(self) -> None:
        """End every subscription (at shutdown, so that open streams finish)."""
        with self._lock:
            current = list(self._subscriptions)
        for subscription in current:
            subscription.close()

    def _call(self, subscription: Subscription, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the subscription's loop, at once if we are on it."""
        loop = subscription._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            callback()
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:
            # Its loop is closed: nobody can read it any more.
            self._forget(subscription)

    def _forget(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

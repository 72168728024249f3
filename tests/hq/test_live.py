"""corridor.hq.live: publish from any thread, bounded queues that drop the slowest subscriber."""

from __future__ import annotations

import asyncio
import threading

import pytest

from corridor.hq.live import ALERT, POSITION, FeedClosed, LiveFeed


def test_publish_from_a_worker_thread_reaches_only_subscribed_topics() -> None:
    async def scenario() -> list[tuple[str, dict[str, object]]]:
        feed = LiveFeed()
        alerts_only = feed.subscribe([ALERT])
        everything = feed.subscribe()
        worker = threading.Thread(
            target=lambda: [feed.publish(POSITION, {"n": 1}), feed.publish(ALERT, {"n": 2})]
        )
        worker.start()
        worker.join()
        got = [await everything.get(timeout=2), await everything.get(timeout=2)]
        only = await alerts_only.get(timeout=2)
        assert only is not None and only.topic == ALERT
        assert await alerts_only.get(timeout=0.05) is None  # the position never came
        return [(m.topic, dict(m.data)) for m in got if m is not None]

    assert asyncio.run(scenario()) == [(POSITION, {"n": 1}), (ALERT, {"n": 2})]


def test_a_full_queue_drops_that_subscriber_not_the_others() -> None:
    async def scenario() -> None:
        feed = LiveFeed(queue_size=3)
        slow, fast = feed.subscribe(), feed.subscribe()
        for n in range(3):
            feed.publish(ALERT, {"n": n})
            assert (await fast.get(timeout=1)) is not None
        feed.publish(ALERT, {"n": 3})  # slow holds 3 already: dropped
        assert slow.dropped and not fast.dropped
        assert feed.subscribers() == 1
        with pytest.raises(FeedClosed, match="too slow"):
            await slow.get(timeout=1)
        message = await fast.get(timeout=1)
        assert message is not None and message.data == {"n": 3}

    asyncio.run(scenario())


def test_close_ends_every_stream_and_unknown_topics_are_refused() -> None:
    async def scenario() -> None:
        feed = LiveFeed()
        subscription = feed.subscribe()
        feed.close()
        with pytest.raises(FeedClosed, match="the feed closed"):
            await subscription.get(timeout=1)
        assert feed.subscribers() == 0
        with pytest.raises(ValueError, match="unknown topic 'weather'"):
            feed.publish("weather", {})

    asyncio.run(scenario())

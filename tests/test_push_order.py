"""The write order of overlapping pushes of one post at HQ (corridor.hq.push_order), with real
threads: a push waits for in-flight pushes of its post with a lower first seq, only for those,
and never longer than its patience."""

from __future__ import annotations

import threading
import time

from corridor.hq.push_order import PushOrder


def waiting_thread(order: PushOrder, post: str, first_seq: int, log: list[str]) -> threading.Thread:
    def run() -> None:
        with order.in_flight(post, first_seq) as wait_for_earlier:
            gave_up = wait_for_earlier()
            log.append(f"{post}:{first_seq}{' gave up' if gave_up else ''}")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_push_waits_for_an_earlier_one_of_its_post_only() -> None:
    order = PushOrder(patience=10)
    log: list[str] = []
    with order.in_flight("P01", 1):
        later = waiting_thread(order, "P01", 1001, log)
        same = waiting_thread(order, "P01", 1, log)  # the same batch again: no wait
        other = waiting_thread(order, "P02", 2001, log)  # another post: no wait
        same.join(5)
        other.join(5)
        later.join(0.3)
        assert later.is_alive()
        assert sorted(log) == ["P01:1", "P02:2001"]
    later.join(5)
    assert log[-1] == "P01:1001"


def test_pushes_are_released_in_seq_order() -> None:
    order = PushOrder(patience=10)
    log: list[str] = []
    with order.in_flight("P01", 1) as first_waits:
        assert first_waits() is False
        third = waiting_thread(order, "P01", 2001, log)
        second = waiting_thread(order, "P01", 1001, log)
        time.sleep(0.2)
        assert log == []
    second.join(5)
    third.join(5)
    assert log == ["P01:1001", "P01:2001"]


def test_a_stalled_earlier_push_holds_a_later_one_only_for_its_patience() -> None:
    order = PushOrder(patience=0.2)
    log: list[str] = []
    with order.in_flight("P01", 1):
        started = time.monotonic()
        waiting_thread(order, "P01", 1001, log).join(5)
        waited = time.monotonic() - started
    assert log == ["P01:1001 gave up"]
    assert 0.2 <= waited < 2

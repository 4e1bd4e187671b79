"""The hub's fan-out rules, on plain objects: who gets an event, once, in order."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from forum.events import Cursor, Event
from forum.feed import Delivery
from realtime.hub import Hub, Subscriber

PUBLIC = frozenset({"public"})
MEMBER = frozenset({"public", "members", "user:7"})


def event(n: int, channels: list[str], audience: str = "public") -> Delivery:
    logged = Event(Cursor(100 + n, n), datetime.now(UTC), "post.created", channels, audience, {})
    return Delivery(logged, audience, {"n": n})


def drained(sub: Subscriber) -> list[dict]:
    frames = []
    while not sub.queue.empty():
        frames.append(orjson.loads(sub.queue.get_nowait()))
    return frames


def test_each_matching_subscriber_gets_the_event_once():
    hub = Hub()
    both, thread_only, elsewhere = (
        Subscriber(PUBLIC, 8),
        Subscriber(PUBLIC, 8),
        Subscriber(PUBLIC, 8),
    )
    hub.join(both, ["thread:1", "region:africa"], None)
    hub.join(thread_only, ["thread:1"], None)
    hub.join(elsewhere, ["thread:2"], None)
    hub.dispatch(event(1, ["thread:1", "region:africa"]))
    assert [f["data"]["n"] for f in drained(both)] == [1]
    assert drained(thread_only)[0]["channel"] == "thread:1"
    assert drained(elsewhere) == []
    assert hub.position == Cursor(101, 1)


def test_visibility_decides_who_receives():
    hub = Hub()
    anonymous, member = Subscriber(PUBLIC, 8), Subscriber(MEMBER, 8)
    for s in (anonymous, member):
        hub.join(s, ["region:staff-room", "user:7"], None)
    hub.dispatch(event(1, ["region:staff-room"], "members"))
    hub.dispatch(event(2, ["user:7"], "user:7"))
    hub.dispatch(event(3, ["region:staff-room"], "staff"))
    assert drained(anonymous) == []
    assert [f["data"]["n"] for f in drained(member)] == [1, 2]


def test_the_same_frame_is_shared_not_rebuilt():
    hub = Hub()
    subs = [Subscriber(PUBLIC, 8) for _ in range(3)]
    for s in subs:
        hub.join(s, ["thread:1"], None)
    hub.dispatch(event(1, ["thread:1"]))
    frames = [s.queue.get_nowait() for s in subs]
    assert frames[0] is frames[1] is frames[2]


def test_a_full_queue_marks_only_that_subscriber_too_slow():
    hub = Hub()
    slow, fast = Subscriber(PUBLIC, 2), Subscriber(PUBLIC, 100)
    hub.join(slow, ["thread:1"], None)
    hub.join(fast, ["thread:1"], None)
    for n in range(5):
        hub.dispatch(event(n, ["thread:1"]))
        drained(fast)
    assert slow.too_slow and slow.stopped.is_set()
    assert not fast.too_slow and not fast.stopped.is_set()


def test_held_frames_follow_the_backlog_in_order():
    hub = Hub()
    sub = Subscriber(PUBLIC, 8)
    sub.hold()
    hub.join(sub, ["thread:1"], None)
    hub.dispatch(event(2, ["thread:1"]))  # live, while the backlog is being sent
    sub.queue.put_nowait('{"backlog": 1}')
    sub.release()
    assert [f.get("backlog") or f["data"]["n"] for f in drained(sub)] == [1, 2]


def test_events_the_client_already_has_are_not_sent_again():
    hub = Hub()
    sub = Subscriber(PUBLIC, 8)
    # It resumed ahead of this worker: it has every event up to #2 already.
    hub.join(sub, ["thread:1"], Cursor(102, 2))
    for n in (1, 2, 3):
        hub.dispatch(event(n, ["thread:1"]))
    assert [f["data"]["n"] for f in drained(sub)] == [3]


def test_leaving_stops_delivery():
    hub = Hub()
    sub = Subscriber(PUBLIC, 8)
    hub.join(sub, ["thread:1", "thread:2"], None)
    hub.leave(sub, ["thread:1"])
    hub.dispatch(event(1, ["thread:1"]))
    assert drained(sub) == [] and hub.listeners("thread:1") == 0
    hub.leave(sub)
    assert hub.listeners("thread:2") == 0


def test_an_event_nobody_listens_to_only_moves_the_position_on():
    hub = Hub()
    sub = Subscriber(PUBLIC, 8)
    hub.join(sub, ["thread:1"], None)
    heard, unheard = event(1, ["thread:1", "region:africa"]), event(2, ["thread:2"])
    assert hub.listened(heard.event) and not hub.listened(unheard.event)
    hub.passed(unheard.event)
    assert hub.position == unheard.event.cursor
    assert drained(sub) == []


class Socket:
    """A subscriber's socket as the hub's fast path sees it: takes frames until full."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.full = False

    def send_now(self, frame: str) -> bool:
        if self.full:
            return False
        self.sent.append(orjson.loads(frame)["data"]["n"])
        return True


def test_a_socket_that_takes_frames_now_gets_them_without_the_queue():
    hub = Hub()
    socket = Socket()
    sub = Subscriber(PUBLIC, 8, socket.send_now)
    hub.join(sub, ["thread:1"], None)
    hub.dispatch(event(1, ["thread:1"]))
    hub.dispatch(event(2, ["thread:1"]))
    assert socket.sent == [1, 2] and sub.queue.empty()


def test_frames_queue_behind_a_frame_in_flight_or_a_full_socket_and_keep_their_order():
    hub = Hub()
    socket = Socket()
    sub = Subscriber(PUBLIC, 8, socket.send_now)
    hub.join(sub, ["thread:1"], None)
    sub.writing = True  # the writer is sending a frame it took from the queue
    hub.dispatch(event(1, ["thread:1"]))
    sub.writing = False
    # Something waits in the queue: later frames go behind it, not around it.
    hub.dispatch(event(2, ["thread:1"]))
    assert socket.sent == [] and [f["data"]["n"] for f in drained(sub)] == [1, 2]
    socket.full = True  # over its high-water mark
    hub.dispatch(event(3, ["thread:1"]))
    socket.full = False
    hub.dispatch(event(4, ["thread:1"]))
    assert socket.sent == [] and [f["data"]["n"] for f in drained(sub)] == [3, 4]
    hub.dispatch(event(5, ["thread:1"]))
    assert socket.sent == [5]


def test_a_socket_that_stays_full_makes_its_subscriber_too_slow():
    hub = Hub()
    socket = Socket()
    socket.full = True
    sub = Subscriber(PUBLIC, 2, socket.send_now)
    hub.join(sub, ["thread:1"], None)
    for n in range(3):
        hub.dispatch(event(n, ["thread:1"]))
    assert sub.too_slow and sub.stopped.is_set()

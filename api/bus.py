"""Event fan-out: the log is the truth, the bus only says "cooperative X has new events".

Each API worker keeps one :class:`Hub`; per cooperative it reads new events from the store once
and hands them to every socket it holds. Wake-ups come from this worker's own appends at once
and, with ``REDIS_URL``, from other workers over Redis pub/sub; a periodic poll covers a lost
pub/sub message. Because sockets resume from the log by sequence number, a wake-up that is
lost or doubled can delay an event but never lose or repeat it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from dispatch.events import Event
from dispatch.store import Store

log = logging.getLogger("tandem.bus")
CHANNEL = "tandem:events"
#: A socket that falls this far behind is closed; its client resumes from its last seq.
QUEUE_LIMIT = 5000

Wake = Callable[[str], None]


class LocalBus:
    """One process: a publish wakes this worker's hub directly."""

    def __init__(self) -> None:
        self._listeners: list[Wake] = []

    def listen(self, wake: Wake) -> None:
        self._listeners.append(wake)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, coop_id: str) -> None:
        for wake in self._listeners:
            wake(coop_id)


class RedisBus(LocalBus):
    """Several workers: a publish also goes out on Redis; every worker's reader wakes its hub."""

    def __init__(self, url: str) -> None:
        super().__init__()
        from redis import asyncio as aioredis

        self._redis = aioredis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def start(self) -> None:
        await self._redis.ping()  # fail at start, not at the first event, if Redis is unreachable
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.ready.wait(), timeout=10)

    async def _read(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(CHANNEL)
                self.ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    coop_id = json.loads(message["data"])["coop"]
                    for wake in self._listeners:
                        wake(coop_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarted: resubscribe; the hub's poll bridges the gap
                log.exception("redis pub/sub reader failed; retrying in 1 s")
                await asyncio.sleep(1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()

    async def publish(self, coop_id: str) -> None:
        await super().publish(coop_id)
        try:
            await self._redis.publish(CHANNEL, json.dumps({"coop": coop_id}))
        except Exception:  # the event is stored; other workers will see it at their next poll
            log.exception("redis publish failed")


#: Turns an event into the text one group of sockets is sent, or None when they do not see it.
Render = Callable[[Event], Awaitable[str | None]]


@dataclass(eq=False)
class Subscription:
    """One socket's live messages, ``(seq, text)`` in sequence order, only those it is sent."""

    coop_id: str
    group: Hashable  #: sockets whose render gives the same text for every event (one person's)
    render: Render
    queue: asyncio.Queue[tuple[int, str]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False

    def offer(self, seq: int, text: str) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait((seq, text))
        except asyncio.QueueFull:
            self.overflowed = True  # the socket closes; its client resumes from the last seq it saw

    def fail(self) -> None:
        """Close the socket (at its next message); its client resumes from the last seq it saw."""
        self.overflowed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait((0, ""))


class _CoopFeed:
    def __init__(self, cursor: int) -> None:
        self.cursor = cursor
        self.groups: dict[Hashable, set[Subscription]] = {}
        self.dirty = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


class Hub:
    """Reads each cooperative's new events once per worker and fans them out to its sockets.

    Sockets come in groups that would be sent the same text (the sockets of one person, on one
    kind of socket): each event is rendered and serialised once per group, and only the sockets
    that are sent something are woken. Rendering and serialising per socket, and waking every
    socket for every event (a planning round appends a proposal per open job, which a courier's
    sockets never see), cost far more than the sending.
    """

    def __init__(self, store: Store, bus: LocalBus, *, poll_s: float = 2.0) -> None:
        self.store, self.bus, self.poll_s = store, bus, poll_s
        self._feeds: dict[str, _CoopFeed] = {}
        bus.listen(self.wake)

    def wake(self, coop_id: str) -> None:
        feed = self._feeds.get(coop_id)
        if feed is not None:
            feed.dirty.set()

    async def subscribe(self, coop_id: str, group: Hashable, render: Render) -> Subscription:
        """Start collecting live messages; read the backlog *after* this (then drop duplicates by seq)."""
        feed = self._feeds.get(coop_id)
        if feed is None:
            cursor = await asyncio.to_thread(_last_seq, self.store, coop_id)
            feed = self._feeds.get(coop_id)  # another socket may have created it meanwhile
            if feed is None:
                feed = self._feeds[coop_id] = _CoopFeed(cursor)
                feed.task = asyncio.create_task(self._run(coop_id, feed))
        sub = Subscription(coop_id, group, render)
        feed.groups.setdefault(group, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        feed = self._feeds.get(sub.coop_id)
        if feed is None:
            return
        members = feed.groups.get(sub.group, set())
        members.discard(sub)
        if not members:
            feed.groups.pop(sub.group, None)
        if not feed.groups and feed.task is not None:
            feed.task.cancel()
            del self._feeds[sub.coop_id]

    async def _run(self, coop_id: str, feed: _CoopFeed) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(feed.dirty.wait(), timeout=self.poll_s)
            feed.dirty.clear()
            try:
                events = await asyncio.to_thread(self.store.events, coop_id, after_seq=feed.cursor, limit=1000)
            except Exception:
                log.exception("reading events of %s failed", coop_id)
                await asyncio.sleep(1)
                continue
            for event in events:
                groups = [(key, list(members)) for key, members in feed.groups.items() if members]
                texts = await asyncio.gather(*(m[0].render(event) for _, m in groups), return_exceptions=True)
                for (key, members), text in zip(groups, texts, strict=True):
                    if isinstance(text, BaseException):
                        log.error("rendering event %s for %s failed: %r", event.seq, key, text)
                        for sub in members:
                            sub.fail()
                    elif text is not None:
                        for sub in members:
                            sub.offer(event.seq, text)
            if events:
                feed.cursor = events[-1].seq
                if len(events) == 1000:
                    feed.dirty.set()

    async def stop(self) -> None:
        for feed in self._feeds.values():
            if feed.task is not None:
                feed.task.cancel()
        self._feeds.clear()


def _last_seq(store: Store, coop_id: str) -> int:
    return store.cooperative_last_seq(coop_id)

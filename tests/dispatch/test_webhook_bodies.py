"""What a client's webhooks say (issue 16): an assigned delivery back in the open queue is
announced, and a dispatcher's or a courier's reason never reaches the client; the reason of a
failure (the client's business) does."""

from __future__ import annotations

import json

from dispatch import commands as do
from dispatch.events import Actor, ActorKind
from dispatch.store import webhooks as hooks
from tests.dispatch.conftest import Coop, a_request, at

NOTES = ("the other one is slow today", "my knee hurts", "Aino's chain broke")


def _bodies(coop: Coop) -> list[dict[str, object]]:
    hooks.enqueue_from_log(coop.store, coop.id)
    sent = hooks.deliveries_of(coop.store, coop.id, coop.client)
    return [d["body"] for d in sorted(sent, key=lambda d: d["event_seq"])]


def test_an_assigned_delivery_back_in_the_queue_is_announced_without_anyone_s_reasons(coop: Coop) -> None:
    s, c = coop.store, coop.id
    hooks.register(s, c, coop.client, "https://203.0.113.7/hooks")  # a documentation address: never called here
    job = do.request_job(s, c, coop.client, a_request(), at=at(0)).id
    do.override(s, c, job, coop.bike, dispatcher_id="d", at=at(1), reason=NOTES[0])
    do.decline(s, c, job, courier_id=coop.bike, at=at(2), reason=NOTES[1])
    do.override(s, c, job, coop.cargo, dispatcher_id="d", at=at(3), reason="closest")
    do.unassign(s, c, job, dispatcher_id="d", at=at(4), reason=NOTES[2])
    bodies = _bodies(coop)
    data = [b["data"] for b in bodies]
    assert [b["type"] for b in bodies] == [
        "delivery.requested",
        "delivery.assigned",
        "delivery.unassigned",
        "delivery.assigned",
        "delivery.unassigned",
    ]
    assert [d["status"] for d in data] == ["requested", "assigned", "declined", "assigned", "unassigned"]  # type: ignore[index]
    assert all(d["reason"] is None for d in data)  # type: ignore[index]
    text = json.dumps(bodies)
    assert not any(note in text for note in NOTES)
    assert s.job(c, job).state.value == "unassigned"  # what the client API shows, too


def test_a_failed_delivery_tells_the_client_why(coop: Coop) -> None:
    s, c = coop.store, coop.id
    hooks.register(s, c, coop.client, "https://203.0.113.7/hooks")
    job = do.request_job(s, c, coop.client, a_request(), at=at(0)).id
    do.override(s, c, job, coop.bike, dispatcher_id="d", at=at(1))
    do.acknowledge(s, c, job, courier_id=coop.bike, at=at(5))
    do.pick_up(s, c, job, courier_id=coop.bike, at=at(10))
    do.fail(s, c, job, courier_id=coop.bike, at=at(20), reason="nobody at the door")
    failed = _bodies(coop)[-1]
    assert failed["type"] == "delivery.failed"
    assert failed["data"]["reason"] == "nobody at the door"  # type: ignore[index]
    other = do.request_job(s, c, coop.client, a_request(), at=at(30)).id
    do.cancel_job(s, c, other, by=Actor(ActorKind.CLIENT, coop.client), at=at(31), reason="the shop closed early")
    assert _bodies(coop)[-1]["data"]["reason"] == "the shop closed early"  # type: ignore[index]

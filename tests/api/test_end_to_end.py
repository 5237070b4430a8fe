"""The whole path through a real server: client -> proposal -> override -> courier -> webhooks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.webhooks import verify
from tests.api.harness import Receiver, Server, Socket, World, delivery_body, event_type, login, make_world


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tandem.db'}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


async def full_flow(client_url: str, courier_ws: str, console_ws: str, world: World, receiver: Receiver) -> None:
    api = httpx.AsyncClient(base_url=client_url, timeout=30)
    key = {"Authorization": f"Bearer {world.client_key}"}
    hook = await api.post("/v1/webhooks", json={"url": receiver.url}, headers=key)
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]

    desk = login(client_url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    desk_h = {"Authorization": f"Bearer {desk}"}
    couriers = {}
    for name, (cid, user, password) in world.couriers.items():
        sock = await Socket.open(f"{courier_ws}/v1/courier/ws", login(client_url, world.coop_id, user, password))
        result = await sock.act("shift_start", f"start-{name}")
        assert result["type"] == "result", result
        couriers[cid] = sock
    console = await Socket.open(f"{console_ws}/v1/console/ws", desk)

    created = await api.post("/v1/deliveries", json=delivery_body(), headers={**key, "Idempotency-Key": "order-1"})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    assert created.json()["quote"]["total_cents"] > 0

    proposal = await console.until(
        lambda m: event_type(m) == "ProposalMade" and m["data"]["payload"]["job_id"] == job_id, timeout_s=60
    )
    proposed = proposal["data"]["payload"]["courier_id"]
    assert proposal["data"]["payload"]["explanation"], "a proposal explains itself"
    other = next(c for c in couriers if c != proposed)

    decided = await api.post(
        f"/v1/jobs/{job_id}/decisions",
        json={
            "action": "override",
            "courier_id": other,
            "reason": "she knows the client",
            "expected_seq": proposal["seq"],
        },
        headers=desk_h,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["cost"]["summary"]

    rider = couriers[other]
    assigned = await rider.until(lambda m: event_type(m) == "JobOverridden")
    assert assigned["data"]["job"]["id"] == job_id
    assert assigned["data"]["job"]["pickup"]["address"] == "Rautatientori"
    for step in ("acknowledge", "picked_up", "delivered"):
        result = await rider.act(step, f"{step}-1", job_id=job_id)
        assert result["type"] == "result", result
    # a resent message changes nothing: same answer, same seq
    again = await rider.act("delivered", "delivered-1", job_id=job_id)
    assert again == {**result, "id": "delivered-1"}

    done = await console.until(lambda m: event_type(m) == "Delivered")
    assert done["data"]["payload"]["job_id"] == job_id
    # the proposed courier never saw the job (a proposal is not an assignment)
    assert not any(m.get("data", {}).get("payload", {}).get("job_id") == job_id for m in couriers[proposed].messages)

    status = await api.get(f"/v1/deliveries/{job_id}", headers=key)
    assert status.json()["status"] == "delivered"
    track = await api.get(status.json()["tracking_url"].split(str(api.base_url).rstrip("/"))[-1])
    assert track.json()["status"] == "delivered"
    assert set(track.json()) == {"status", "eta", "finished_at"}

    for _ in range(100):
        if "delivery.delivered" in receiver.types():
            break
        await asyncio.sleep(0.1)
    # Deliveries are sent concurrently (and by several workers): each carries its event_seq to order by.
    in_order = [t for _, t in sorted((json.loads(b)["event_seq"], json.loads(b)["type"]) for _, b in receiver.received)]
    assert in_order == ["delivery.requested", "delivery.assigned", "delivery.picked_up", "delivery.delivered"]
    for headers, body in receiver.received:
        assert verify(secret, headers["Tandem-Signature"], body)
        assert not verify("whsec_wrong", headers["Tandem-Signature"], body)
        assert json.loads(body)["data"]["delivery_id"] == job_id
    # the receiver can answer before the sender has recorded the attempt: wait for the record
    log: list[dict[str, Any]] = []
    for _ in range(100):
        log = (await api.get("/v1/webhooks/deliveries", headers=key)).json()["deliveries"]
        if len(log) == 4 and {d["status"] for d in log} == {"delivered"}:
            break
        await asyncio.sleep(0.1)
    assert {d["status"] for d in log} == {"delivered"} and all(d["attempts"][-1]["status_code"] == 204 for d in log)

    for sock in [console, *couriers.values()]:
        await sock.close()
    await api.aclose()


def test_a_delivery_goes_from_client_to_courier_through_a_person(sqlite_url: str, receiver: Receiver) -> None:
    world = make_world(sqlite_url)
    server = Server(sqlite_url).start()
    try:
        asyncio.run(full_flow(server.url, server.ws_url, server.ws_url, world, receiver))
    finally:
        server.stop()

"""What a server POSTs to a client's webhook is what ``/openapi.json``'s ``webhooks`` says (issue 16).

A client's receiver is written from the OpenAPI document alone: one webhook per event name, its
body's schema (closed: a field sent and not documented fails) and its headers, the signature's
among them. Here a real server sends every kind of webhook over HTTP to a receiver on the
loopback, a delivery going back to the open queue twice (a courier's decline, a dispatcher
taking it back) included, and every body it got is validated against the published schema.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from api.webhooks import verify
from dispatch import commands as do
from dispatch import proofs
from dispatch.store import Store
from dispatch.store.webhooks import CLIENT_EVENTS
from tests.api.harness import Receiver, World, delivery_body, desk, make_world, phone

Stack = tuple[TestClient, World, Store, Receiver]


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The app in process on SQLite, its webhook sender running, and a receiver on the loopback.
    SQLite only: the bodies' schemas are tested, not the database; webhooks sent from PostgreSQL
    (by two servers) are tests/api/test_resilience.py's."""
    from api.app import create_app
    from api.settings import Settings

    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    monkeypatch.setenv("TANDEM_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    world = make_world(url)
    store = Store.open(url)
    receiver = Receiver()
    settings = Settings(database_url=url, redis_url=None, auto_plan=False, webhook_allow_http=True, webhook_poll_s=0.1)
    with TestClient(create_app(settings)) as client:
        yield client, world, store, receiver
    receiver.close()
    store.close()


class Published:
    """The webhooks of the app's /openapi.json: each body checked against its event's schema."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        self.openapi = openapi
        self.webhooks: dict[str, Any] = openapi.get("webhooks", {})

    def problems(self, headers: dict[str, str], raw: bytes) -> list[str]:
        body = json.loads(raw)
        operation = self.webhooks.get(body.get("type"), {}).get("post")
        if operation is None:
            return [f"{body.get('type')!r} is not a documented webhook"]
        content = operation["requestBody"]["content"]["application/json"]["schema"]
        schema = {**content, "components": self.openapi["components"]}
        found = [
            f"{body['type']} {e.instance_path}: {e.message}"
            for e in jsonschema_rs.validator_for(schema).iter_errors(body)
        ]
        sent = {name.lower() for name in headers}
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["required"] and parameter["name"].lower() not in sent:
                found.append(f"{body['type']}: no {parameter['name']} header")
        return found


def readme_verify() -> Any:
    """The signature check README's *Webhooks* section gives receivers, run as written."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    code = text.split("### Webhooks", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(code, scope)  # our own README's example, run as a receiver would use it
    return scope["verify"]


def _wait_for(client: TestClient, shop: dict[str, str], receiver: Receiver, count: int) -> list[dict[str, Any]]:
    """The client's delivery log once ``count`` webhooks were received and recorded as delivered."""
    log: list[dict[str, Any]] = []
    for _ in range(150):
        log = client.get("/v1/webhooks/deliveries", headers=shop).json()["deliveries"]
        if len(receiver.received) >= count and len(log) >= count and {d["status"] for d in log} == {"delivered"}:
            return log
        time.sleep(0.1)
    raise AssertionError(f"{len(receiver.received)} webhooks of {count}: {receiver.types()}")


def _lives(client: TestClient, w: World, store: Store) -> dict[str, str]:
    """Four deliveries that between them make the server send every kind of webhook."""
    shop, desk_h = {"Authorization": f"Bearer {w.client_key}"}, desk(client, w)
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    now = datetime.now(UTC)
    for courier in (aino, veera):
        do.start_shift(store, w.coop_id, courier, at=now)

    def new(**dropoff: Any) -> str:
        body = delivery_body(weight_kg=20.0)
        body["dropoff"].update(dropoff)
        created = client.post("/v1/deliveries", json=body, headers=shop)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def decide(job: str, action: str, courier: str | None = None) -> None:
        answer = client.post(
            f"/v1/jobs/{job}/decisions", json={"action": action, "courier_id": courier}, headers=desk_h
        )
        assert answer.status_code == 200, answer.text

    jobs = {"delivered": new(proof=["name"]), "cancelled": new(), "failed": new(), "reweighed": new()}
    job = jobs["delivered"]
    decide(job, "override", aino)
    do.acknowledge(store, w.coop_id, job, courier_id=aino, at=now)
    do.decline(store, w.coop_id, job, courier_id=aino, at=now, reason="a flat tyre")
    decide(job, "override", veera)
    decide(job, "unassign")
    decide(job, "override", veera)
    do.acknowledge(store, w.coop_id, job, courier_id=veera, at=now)
    do.pick_up(store, w.coop_id, job, courier_id=veera, at=now)
    proofs.deliver(store, w.coop_id, job, courier_id=veera, at=now, given=proofs.Given(recipient_name="Maija"))

    cancelled = client.post(f"/v1/deliveries/{jobs['cancelled']}/cancel", json={"reason": "shop closed"}, headers=shop)
    assert cancelled.status_code == 200, cancelled.text

    job = jobs["failed"]
    decide(job, "override", veera)
    do.acknowledge(store, w.coop_id, job, courier_id=veera, at=now)
    do.pick_up(store, w.coop_id, job, courier_id=veera, at=now)
    do.fail(store, w.coop_id, job, courier_id=veera, at=now, reason="nobody home")

    job = jobs["reweighed"]  # 45 kg found on a 25 kg bike: back to dispatch, priced again
    decide(job, "override", aino)
    do.acknowledge(store, w.coop_id, job, courier_id=aino, at=now)
    said = client.post(
        f"/v1/courier/jobs/{job}/weight", json={"weight_kg": 45, "volume_l": 30}, headers=phone(client, w, "Aino")
    )
    assert said.status_code == 200 and said.json()["back_to_dispatch"], said.text
    return jobs


EXPECTED = {
    "delivered": [
        ("delivery.requested", "requested"),
        ("delivery.assigned", "assigned"),
        ("delivery.unassigned", "declined"),  # the courier declined
        ("delivery.assigned", "assigned"),
        ("delivery.unassigned", "unassigned"),  # a dispatcher took it back
        ("delivery.assigned", "assigned"),
        ("delivery.picked_up", "picked_up"),
        ("delivery.delivered", "delivered"),
    ],
    "cancelled": [("delivery.requested", "requested"), ("delivery.cancelled", "cancelled")],
    "failed": [
        ("delivery.requested", "requested"),
        ("delivery.assigned", "assigned"),
        ("delivery.picked_up", "picked_up"),
        ("delivery.failed", "failed"),
    ],
    "reweighed": [
        ("delivery.requested", "requested"),
        ("delivery.assigned", "assigned"),
        ("delivery.updated", "declined"),
        ("delivery.unassigned", "declined"),
    ],
}


def test_every_webhook_sent_over_http_is_what_openapi_json_says(stack: Stack) -> None:
    client, w, store, receiver = stack
    shop = {"Authorization": f"Bearer {w.client_key}"}
    rule = client.patch("/v1/cooperative/settings", json={"repricing": "requote"}, headers=desk(client, w))
    assert rule.status_code == 200, rule.text
    hook = client.post("/v1/webhooks", json={"url": receiver.url}, headers=shop)
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    jobs = _lives(client, w, store)
    _wait_for(client, shop, receiver, sum(len(v) for v in EXPECTED.values()))

    published = Published(client.get("/openapi.json").json())
    assert set(published.webhooks) == set(CLIENT_EVENTS.values())  # one per event name, none more
    problems = [p for headers, raw in receiver.received for p in published.problems(headers, raw)]
    assert not problems, "\n".join(problems[:20])

    bodies = [(json.loads(raw), headers) for headers, raw in receiver.received]
    readme = readme_verify()
    for headers, raw in receiver.received:
        assert headers["Tandem-Event"] == json.loads(raw)["type"]
        assert verify(secret, headers["Tandem-Signature"], raw)  # as the document says to check it
        assert readme(secret, headers["Tandem-Signature"], raw)  # and as the README's example does
        assert not readme("whsec_wrong", headers["Tandem-Signature"], raw)
    for name, job in jobs.items():
        mine = sorted((b for b, _ in bodies if b["data"]["delivery_id"] == job), key=lambda b: b["event_seq"])
        assert [(b["type"], b["data"]["status"]) for b in mine] == EXPECTED[name], name
    assert {b["type"] for b, _ in bodies} == set(published.webhooks)  # every documented webhook was sent
    said = {b["type"]: b["data"] for b, _ in bodies}
    assert said["delivery.delivered"]["proof"]["kinds"] == ["name"]
    assert said["delivery.failed"]["reason"] == "nobody home"
    assert (
        said["delivery.updated"]["quotes"]["new"]["total_cents"]
        > said["delivery.updated"]["quotes"]["previous"]["total_cents"]
    )
    assert all(
        b["data"]["reason"] is None for b, _ in bodies if b["type"] == "delivery.unassigned"
    )  # "a flat tyre" is not the client's

    # the published schemas are closed: a field a body does not document, a status its event
    # does not take, and a missing signature are each refused (so the check above can fail)
    headers, raw = next((h, r) for h, r in receiver.received if json.loads(r)["type"] == "delivery.unassigned")
    body = json.loads(raw)
    assert published.problems({}, raw) == [
        "delivery.unassigned: no Tandem-Signature header",
        "delivery.unassigned: no Tandem-Event header",
        "delivery.unassigned: no Tandem-Delivery header",
    ]
    for broken in (
        {**body, "data": {**body["data"], "courier_id": w.couriers["Aino"][0]}},
        {**body, "data": {**body["data"], "status": "delivered"}},
        {**body, "type": "delivery.reassigned"},
    ):
        assert published.problems(headers, json.dumps(broken).encode()), broken

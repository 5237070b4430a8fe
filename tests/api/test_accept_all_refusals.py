"""`POST /v1/decisions/accept-all` says each refusal in words the console can show: the job's
state now, the last act and who did it (issue 17: never an id or an event class alone)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from dispatch import commands as do
from dispatch.store import Store
from tests.api.harness import World, delivery_body
from tests.api.harness import desk as desk_headers
from tests.api.test_courier_unavailable import world  # noqa: F401  (the fixture)


def test_a_job_someone_gave_meanwhile_is_refused_with_who_did_it(world: tuple[TestClient, World, Store]) -> None:  # noqa: F811
    client, w, store = world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    desk = desk_headers(client, w)
    shop = {"Authorization": f"Bearer {w.client_key}"}
    jobs = [client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"] for _ in range(2)]
    for job in jobs:
        do.propose(store, w.coop_id, job, aino, at=datetime.now(UTC))
    do.start_shift(store, w.coop_id, aino, at=datetime.now(UTC))  # a proposal is accepted while she is on shift
    do.override(store, w.coop_id, jobs[1], veera, dispatcher_id="sam", at=datetime.now(UTC))  # another desk
    answer = client.post("/v1/decisions/accept-all", json={"jobs": jobs}, headers=desk).json()
    ok, refused = answer["results"]
    assert ok["ok"] and answer["accepted"] == 1
    assert not refused["ok"] and refused["state"] == "assigned" and refused["last_act"] == "JobOverridden"
    assert refused["by"] == "dispatcher sam"

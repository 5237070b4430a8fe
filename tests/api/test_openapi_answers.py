"""What the API sends is what /openapi.json says, field by field (issue 19).

A sample of real answers (one or more per main route: deliveries, quotes, the console's jobs and
proposals, the ledger, the courier's jobs, positions, the admin acts) is taken through the ASGI
app and each body validated against its route's schema in the app's own ``/openapi.json``.

The check is stricter than the schema fuzzer's (tests/api/test_fuzz.py): answer models allow
fields they do not name (``api.schemas.Out``: a new field is not a breaking change for a
client), so a field sent but never documented would pass there. Here every object schema that
names its properties is closed (``additionalProperties: false``): a field the routes send and the
models do not name fails, so a reader of /openapi.json sees every field a client receives.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from dispatch import commands as do
from dispatch.store import Store, positions
from dispatch.store import webhooks as hooks
from tests.api.harness import World, delivery_body, make_world
from tests.api.harness import desk as desk_headers


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    """:func:`tests.api.harness.in_process`, with webhooks to a local URL allowed (as in the fuzzer)."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    settings = Settings(database_url=url, redis_url=None, auto_plan=False, webhook_allow_http=True)
    with TestClient(create_app(settings)) as client:
        yield client, world, store
    store.close()


def _closed(schema: Any) -> Any:
    """``schema`` with every object that names its properties refusing the ones it does not name.

    A free-form object (``dict[str, Any]``: a request as the client sent it, a plan's metrics)
    names no properties and stays open.
    """
    if isinstance(schema, dict):
        closed = {key: _closed(value) for key, value in schema.items()}
        if "properties" in closed and closed.get("additionalProperties", True) is True:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


class Published:
    """The app's /openapi.json, with its component schemas closed; collects what answers break."""

    def __init__(self, client: TestClient) -> None:
        self.openapi = client.get("/openapi.json").json()
        self.components = _closed(copy.deepcopy(self.openapi["components"]))
        self.checked: list[str] = []
        self.differences: list[str] = []  #: every route's, so that one run lists them all

    def check(self, answer: Any, method: str, template: str) -> Any:
        """The answer's JSON (``answer``: the test client's response), after validating it against
        what the route documents for its status."""
        operation = self.openapi["paths"][template][method.lower()]
        status = str(answer.status_code)
        assert answer.status_code < 300, f"{method} {template}: {status} {answer.text}"  # a sample of successes
        assert status in operation["responses"], f"{method} {template}: {status} not documented ({answer.text})"
        content = operation["responses"][status]["content"]["application/json"]["schema"]
        schema = {**_closed(content), "components": self.components}
        body = answer.json()
        errors = [f"{e.instance_path}: {e.message}" for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
        self.differences.extend(f"{method} {template} ({status}) {error}" for error in errors[:5])
        self.checked.append(f"{method} {template}")
        return body


def test_the_closing_of_schemas_refuses_an_undocumented_field() -> None:
    # Guards the guard: were _closed a no-op, every check below would pass on anything.
    schema = _closed({"type": "object", "properties": {"id": {"type": "string"}}})
    assert jsonschema_rs.is_valid(schema, {"id": "a"})
    assert not jsonschema_rs.is_valid(schema, {"id": "a", "secret": "b"})
    assert jsonschema_rs.is_valid(_closed({"type": "object", "additionalProperties": True}), {"any": 1})


def test_answers_of_the_main_routes_are_what_the_schema_says(world: tuple[TestClient, World, Store]) -> None:
    client, w, store = world
    api = Published(client)
    desk = desk_headers(client, w)
    shop = {"Authorization": f"Bearer {w.client_key}"}
    aino, _, aino_password = w.couriers["Aino"]
    rider = client.post(
        "/v1/auth/login",
        json={"cooperative_id": w.coop_id, "login": w.couriers["Aino"][1], "password": aino_password},
    )
    phone = {"Authorization": f"Bearer {api.check(rider, 'POST', '/v1/auth/login')['token']}"}
    do.start_shift(store, w.coop_id, aino, at=datetime.now(UTC))

    # a client: a webhook, a quote, deliveries, tracking
    hook = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=shop)
    api.check(hook, "POST", "/v1/webhooks")
    api.check(client.post("/v1/quotes", json=delivery_body(), headers=shop), "POST", "/v1/quotes")
    made = [
        api.check(client.post("/v1/deliveries", json=delivery_body(), headers=shop), "POST", "/v1/deliveries")
        for _ in range(3)
    ]
    body = delivery_body()
    retried = client.post("/v1/deliveries", json=body, headers={**shop, "Idempotency-Key": "k"})
    api.check(retried, "POST", "/v1/deliveries")
    again = client.post("/v1/deliveries", json=body, headers={**shop, "Idempotency-Key": "k"})
    assert again.status_code == 200  # the retry answers as documented for its own status
    api.check(again, "POST", "/v1/deliveries")
    first, second, third = (d["id"] for d in made)
    api.check(client.get(f"/v1/deliveries/{first}", headers=shop), "GET", "/v1/deliveries/{delivery_id}")
    api.check(client.get("/v1/deliveries", headers=shop), "GET", "/v1/deliveries")
    token = made[0]["tracking_url"].rsplit("/", 1)[1]
    api.check(client.get(f"/v1/track/{token}"), "GET", "/v1/track/{token}")
    api.check(client.get("/v1/webhooks", headers=shop), "GET", "/v1/webhooks")

    # the console: a round, its proposals, decisions, the state, the log
    planned = api.check(client.post("/v1/planning/rounds?wait=true", headers=desk), "POST", "/v1/planning/rounds")
    assert planned["done"] and planned["plan"]["routes"], planned  # a real plan, with routes and stops
    api.check(client.post("/v1/planning/rounds", headers=desk), "POST", "/v1/planning/rounds")
    api.check(client.get("/v1/plan", headers=desk), "GET", "/v1/plan")
    legs = api.check(client.get("/v1/plan/streets", headers=desk), "GET", "/v1/plan/streets")["features"]
    assert legs and all(len(leg["geometry"]["coordinates"]) >= 2 for leg in legs), legs  # the routes' legs
    jobs = api.check(client.get("/v1/jobs", headers=desk), "GET", "/v1/jobs")["jobs"]
    assert any(j["proposal"] for j in jobs), jobs  # proposals with their explanations are checked too
    api.check(client.get("/v1/jobs?state=all", headers=desk), "GET", "/v1/jobs")
    api.check(client.get(f"/v1/jobs/{first}", headers=desk), "GET", "/v1/jobs/{job_id}")
    api.check(client.get(f"/v1/jobs/{first}/path", headers=desk), "GET", "/v1/jobs/{job_id}/path")
    cost = client.get(f"/v1/jobs/{second}/override-cost", params={"courier_id": aino}, headers=desk)
    api.check(cost, "GET", "/v1/jobs/{job_id}/override-cost")
    options = client.get(f"/v1/jobs/{second}/override-options", headers=desk)
    side = api.check(options, "GET", "/v1/jobs/{job_id}/override-options")["couriers"]
    assert {c["courier_id"] for c in side} == {cid for cid, _, _ in w.couriers.values()}, side  # off shift too
    decided = client.post(
        f"/v1/jobs/{second}/decisions", json={"action": "override", "courier_id": aino, "reason": "near"}, headers=desk
    )
    assert api.check(decided, "POST", "/v1/jobs/{job_id}/decisions")["cost"] is not None
    accepted = client.post("/v1/decisions/accept-all", json={"jobs": [first, third, "nope"]}, headers=desk)
    api.check(accepted, "POST", "/v1/decisions/accept-all")
    refused = client.post("/v1/decisions/accept-all", json={"jobs": [second]}, headers=desk)
    assert api.check(refused, "POST", "/v1/decisions/accept-all")["results"][0]["ok"] is False
    api.check(client.get("/v1/events?limit=50", headers=desk), "GET", "/v1/events")
    api.check(client.get("/v1/couriers", headers=desk), "GET", "/v1/couriers")

    # the courier: their jobs and route, a position, a leg's path; then the console sees them
    do.acknowledge(store, w.coop_id, second, courier_id=aino, at=datetime.now(UTC))
    positions.record(store, w.coop_id, aino, second, 24.9414, 60.1710, datetime.now(UTC))
    mine = api.check(client.get("/v1/courier/jobs", headers=phone), "GET", "/v1/courier/jobs")
    assert mine["jobs"] and mine["shift"]["on_shift"], mine
    api.check(client.get(f"/v1/courier/jobs/{second}/path", headers=phone), "GET", "/v1/courier/jobs/{job_id}/path")
    api.check(client.get("/v1/courier/me/export", headers=phone), "GET", "/v1/courier/me/export")
    assert api.check(client.get("/v1/positions", headers=desk), "GET", "/v1/positions")["positions"]
    api.check(client.get("/v1/ledger", headers=desk), "GET", "/v1/ledger")
    api.check(client.get("/v1/ledger", params={"day": "2020-01-01"}, headers=desk), "GET", "/v1/ledger")
    state = api.check(client.get("/v1/console/state", headers=desk), "GET", "/v1/console/state")
    assert state["plan"] and state["jobs"] and state["couriers"]
    hooks.enqueue_from_log(store, w.coop_id)  # what the sender owes the client's URL by now
    owed = client.get("/v1/webhooks/deliveries", headers=shop)
    assert api.check(owed, "GET", "/v1/webhooks/deliveries")["deliveries"]

    # the week: availability, who is available, the rota, a courier's week, the time sheet
    availability = client.get(f"/v1/couriers/{aino}/availability", headers=desk)
    api.check(availability, "GET", "/v1/couriers/{courier_id}/availability")
    api.check(client.get("/v1/week/who", headers=desk), "GET", "/v1/week/who")
    api.check(client.get("/v1/week", headers=desk), "GET", "/v1/week")
    api.check(client.get("/v1/week/mine", headers=phone), "GET", "/v1/week/mine")
    api.check(client.get("/v1/week/timesheet", headers=desk), "GET", "/v1/week/timesheet")

    # the admin acts, and a cancellation
    veera = w.couriers["Veera"][0]
    client_id = store.jobs(w.coop_id)[0].client_id
    login = client.post(f"/v1/couriers/{veera}/login", json={"login": "veera-2"}, headers=desk)
    api.check(login, "POST", "/v1/couriers/{courier_id}/login")
    api.check(client.get("/v1/cooperative/settings", headers=desk), "GET", "/v1/cooperative/settings")
    changed = client.patch("/v1/cooperative/settings", json={"fairness_weight": 0.7}, headers=desk)
    api.check(changed, "PATCH", "/v1/cooperative/settings")
    gone = client.post(f"/v1/couriers/{aino}/unavailable", json={"reason": "flat tyre"}, headers=desk)
    api.check(gone, "POST", "/v1/couriers/{courier_id}/unavailable")
    left = client.post(f"/v1/couriers/{veera}/deactivate", json={"reason": "moved away"}, headers=desk)
    api.check(left, "POST", "/v1/couriers/{courier_id}/deactivate")
    back = client.post(f"/v1/couriers/{veera}/reactivate", headers=desk)
    api.check(back, "POST", "/v1/couriers/{courier_id}/reactivate")
    cancelled = client.post(f"/v1/deliveries/{third}/cancel", json={"reason": "closed"}, headers=shop)
    api.check(cancelled, "POST", "/v1/deliveries/{delivery_id}/cancel")
    rotated = client.post(f"/v1/clients/{client_id}/key/rotate", headers=desk)
    api.check(rotated, "POST", "/v1/clients/{client_id}/key/rotate")
    revoked = client.post(f"/v1/clients/{client_id}/key/revoke", headers=desk)
    api.check(revoked, "POST", "/v1/clients/{client_id}/key/revoke")
    for path in ("/v1/clients", "/v1/members", "/v1/admin/log"):  # what the admin page reads
        api.check(client.get(path, headers=desk), "GET", path)

    # the service, and the words of the planner's reasons
    api.check(client.get("/v1/reasons", headers=desk), "GET", "/v1/reasons")
    api.check(client.get("/healthz"), "GET", "/healthz")
    api.check(client.get("/readyz"), "GET", "/readyz")
    assert not api.differences, "answers other than their schema:\n" + "\n".join(api.differences)
    assert len(set(api.checked)) >= 35, sorted(set(api.checked))

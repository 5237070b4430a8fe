"""Two cooperatives on one server: nobody of A sees or changes anything of B, on any route or socket.

Credentials: tokens expire and can be revoked; API keys are stored hashed, never in clear.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from api.app import create_app
from api.settings import Settings
from dispatch import commands
from dispatch.store import Store
from dispatch.store.schema import ClientRow
from tests.api.harness import World, delivery_body, make_world
from tests.api.test_http import ROLES, _roles, http_routes, role_headers


@dataclass
class Tenant:
    world: World
    headers: dict[str, dict[str, str]]
    job: str
    webhook: str


@dataclass
class Two:
    client: TestClient
    store: Store
    a: Tenant
    b: Tenant


def _tenant(client: TestClient, store: Store, world: World) -> Tenant:
    headers = role_headers(client, world, store)
    aino = world.couriers["Aino"]
    now = datetime.now(UTC)
    for cid, _, _ in world.couriers.values():
        commands.start_shift(store, world.coop_id, cid, at=now)
    job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"])
    assert job.status_code == 201, job.text
    hook = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=headers["client"])
    assert hook.status_code == 201, hook.text
    # B's job goes to B's Aino, so that her day, route and ledger all have something to leak
    decided = client.post(
        f"/v1/jobs/{job.json()['id']}/decisions",
        json={"action": "override", "courier_id": aino[0], "reason": "test"},
        headers=headers["dispatcher"],
    )
    assert decided.status_code == 200, decided.text
    return Tenant(world, headers, str(job.json()["id"]), str(hook.json()["id"]))


@pytest.fixture
def two(tmp_path: Path) -> Iterator[Two]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    worlds = make_world(url, name="Osuuskunta A"), make_world(url, name="Coopérative B")
    store = Store.open(url)
    settings = Settings(database_url=url, redis_url=None, auto_plan=False, webhook_allow_http=True)
    with TestClient(create_app(settings)) as client:
        a, b = (_tenant(client, store, w) for w in worlds)
        yield Two(client, store, a, b)
    store.close()


def _secrets_of(t: Tenant) -> list[str]:
    """Identifiers of B that must never appear in an answer to A."""
    return [t.world.coop_id, t.job, t.webhook, *(cid for cid, _, _ in t.world.couriers.values())]


def test_no_route_lets_a_member_of_a_reach_cooperative_b(two: Two) -> None:
    client, a, b = two.client, two.a, two.b
    b_courier = b.world.couriers["Aino"][0]
    b_client = two.store.client_by_api_key(b.world.client_key)
    assert b_client is not None
    ids = {
        "job_id": b.job,
        "delivery_id": b.job,
        "courier_id": b_courier,
        "client_id": b_client.id,
        "webhook_id": b.webhook,
        "token": "x",
        "run_id": "x",
        "proof_id": "x",
    }
    # bodies that would be valid had the ids been A's, so that a refusal is not just validation
    bodies: dict[str, Any] = {
        "/v1/jobs/{job_id}/decisions": {"action": "override", "courier_id": b_courier, "reason": "x"},
        "/v1/decisions/accept-all": {"job_ids": [b.job]},
        "/v1/deliveries/{delivery_id}/cancel": {"reason": "x"},
        "/v1/couriers/{courier_id}/login": {"login": "stolen"},
        "/v1/couriers/{courier_id}/unavailable": {"reason": "x"},
        "/v1/courier/jobs/{job_id}/weight": {"weight_kg": 45},
        "/v1/couriers/{courier_id}/deactivate": {"reason": "x"},
        "/v1/couriers/{courier_id}/erase": {"reason": "x"},
        "/v1/members/revoke-login": {"login": b.world.dispatcher_login},
        "/v1/members/reset-password": {"login": b.world.dispatcher_login},
        "/v1/clients/{client_id}/proof-rule": {"needs": ["photo"]},
    }
    queries = {"/v1/jobs/{job_id}/override-cost": {"courier_id": b_courier}}
    b_state = two.store.projection(b.world.coop_id)
    b_seq = two.store.cooperative_last_seq(b.world.coop_id)
    leaks: list[str] = []
    checked = 0
    for route in sorted(http_routes(client.app), key=lambda r: r.path == "/v1/auth/logout"):
        roles = _roles(route) if route.dependant is not None else None  # sockets: their own test below
        if roles is None or route.path == "/v1/auth/logout":
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            path = route.path.format(**ids)
            for role in sorted(roles & set(ROLES)):
                r = client.request(
                    method,
                    path,
                    json=bodies.get(route.path, {}),
                    params=queries.get(route.path, {}),
                    headers=a.headers[role],
                )
                checked += 1
                if "{" in route.path:
                    # an id of B is as unknown to A as an id that does not exist
                    assert r.status_code == 404, (role, method, path, r.status_code, r.text)
                asked = path + json.dumps(bodies.get(route.path)) + json.dumps(queries.get(route.path))
                leaked = [s for s in _secrets_of(b) if s in r.text and s not in asked]  # an echo is no leak
                if leaked:
                    leaks.append(f"{role} {method} {path}: {leaked}")
    assert not leaks, leaks
    assert checked >= 30
    assert two.store.cooperative_last_seq(b.world.coop_id) == b_seq
    assert two.store.projection(b.world.coop_id) == b_state


def test_a_dispatcher_of_a_cannot_give_a_job_of_a_to_a_courier_of_b(two: Two) -> None:
    a, b = two.a, two.b
    before = two.store.cooperative_last_seq(a.world.coop_id)
    r = two.client.post(
        f"/v1/jobs/{a.job}/decisions",
        json={"action": "reassign", "courier_id": b.world.couriers["Veera"][0], "reason": "x"},
        headers=a.headers["dispatcher"],
    )
    assert r.status_code in (404, 422), r.text
    assert two.store.cooperative_last_seq(a.world.coop_id) == before


def test_sockets_of_a_see_nothing_of_b_and_cannot_act_on_it(two: Two) -> None:
    client, a, b = two.client, two.a, two.b
    a_token = a.headers["dispatcher"]["Authorization"].split()[1]
    courier_token = a.headers["courier"]["Authorization"].split()[1]
    b_seq = two.store.cooperative_last_seq(b.world.coop_id)
    with client.websocket_connect("/v1/console/ws") as console, client.websocket_connect("/v1/courier/ws") as rider:
        console.send_text(json.dumps({"type": "hello", "token": a_token, "last_seq": 0}))
        rider.send_text(json.dumps({"type": "hello", "token": courier_token, "last_seq": 0}))
        # B's courier is asked for B's job by A's courier: refused, and B's log does not move
        for act in ("acknowledge", "picked_up", "decline"):
            rider.send_text(json.dumps({"type": act, "id": f"steal-{act}", "data": {"job_id": b.job, "reason": "x"}}))
        # something happens in B, then something in A: A's console must see A's event and no B event
        assert client.post("/v1/deliveries", json=delivery_body(), headers=b.headers["client"]).status_code == 201
        mine = client.post("/v1/deliveries", json=delivery_body(), headers=a.headers["client"]).json()["id"]
        seen: list[str] = []
        while mine not in "".join(seen):
            seen.append(json.dumps(console.receive_json()))
        answers: list[dict[str, Any]] = []
        while len([m for m in answers if m.get("type") in ("result", "error")]) < 3:
            answers.append(rider.receive_json())
    leaked = [s for s in _secrets_of(b) if any(s in m for m in seen)]
    assert not leaked, leaked
    refused = [m for m in answers if m.get("type") in ("result", "error")]
    assert all(m["type"] == "error" and m["code"] == "not_found" for m in refused), refused
    assert not any(s in json.dumps(answers) for s in _secrets_of(b) if s != b.job)
    assert two.store.cooperative_last_seq(b.world.coop_id) == b_seq + 1  # only B's own new request


def test_tokens_expire(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False, token_ttl_s=3))) as c:
        r = c.post(
            "/v1/auth/login",
            json={
                "cooperative_id": world.coop_id,
                "login": world.dispatcher_login,
                "password": world.dispatcher_password,
            },
        )
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        expires = datetime.fromisoformat(r.json()["expires_at"])
        fresh = c.get("/v1/couriers", headers=headers)
        assert fresh.status_code == 200 or datetime.now(UTC) >= expires  # (a very busy machine)
        time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.5)
        late = c.get("/v1/couriers", headers=headers)
        assert late.status_code == 401 and late.json()["error"]["code"] == "unauthenticated"


def test_a_revoked_api_key_or_courier_session_gets_in_no_more(two: Two) -> None:
    from dispatch.store.access import cli_actor, revoke_client_key, revoke_sessions_of

    a, client = two.a, two.client
    assert client.get("/v1/courier/jobs", headers=a.headers["courier"]).status_code == 200
    assert revoke_sessions_of(two.store, a.world.coop_id, a.world.couriers["Aino"][0]) >= 1
    assert client.get("/v1/courier/jobs", headers=a.headers["courier"]).status_code == 401
    client_id = two.store.client_by_api_key(a.world.client_key)
    assert client_id is not None
    revoke_client_key(two.store, a.world.coop_id, client_id.id, by=cli_actor())
    assert client.get("/v1/deliveries", headers=a.headers["client"]).status_code == 401


def test_api_keys_and_passwords_are_stored_hashed(two: Two) -> None:
    with two.store.engine.connect() as conn:
        stored = [str(h) for h in conn.execute(select(ClientRow.api_key_hash)).scalars()]
        dump = "\n".join(
            str(row)
            for table in ("clients", "members", "couriers", "sessions")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )
    assert len(stored) == 2
    for tenant in (two.a, two.b):
        assert tenant.world.client_key not in dump
        assert tenant.world.dispatcher_password not in dump
        assert all(password not in dump for _, _, password in tenant.world.couriers.values())
        for header in tenant.headers.values():
            assert header["Authorization"].split()[1] not in dump

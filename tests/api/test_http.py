"""The HTTP API through the real ASGI app: roles on every route, validation, idempotency, conflicts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Require
from api.settings import Settings
from dispatch import commands
from dispatch.model import Role
from dispatch.store import Store
from tests.api.harness import World, delivery_body, make_world

PUBLIC = {
    ("GET", "/"),
    ("GET", "/courier"),
    ("POST", "/v1/auth/login"),
    ("GET", "/v1/track/{token}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/asyncapi.json"),  # the sockets' protocol, public like /openapi.json
}
ROLES = ("client", "dispatcher", "analyst", "courier")


def role_headers(client: TestClient, world: World, store: Store) -> dict[str, dict[str, str]]:
    """Log one member of each role of ``world`` in (an analyst is added for the occasion)."""
    analyst = f"numbers-{world.coop_id[:6]}"
    _, analyst_password = store.add_member(world.coop_id, Role.ANALYST, "Analyst", analyst)

    def token(user: str, password: str) -> str:
        r = client.post("/v1/auth/login", json={"cooperative_id": world.coop_id, "login": user, "password": password})
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    aino = world.couriers["Aino"]
    return {
        "client": {"Authorization": f"Bearer {world.client_key}"},
        "dispatcher": {"Authorization": f"Bearer {token(world.dispatcher_login, world.dispatcher_password)}"},
        "analyst": {"Authorization": f"Bearer {token(analyst, analyst_password)}"},
        "courier": {"Authorization": f"Bearer {token(aino[1], aino[2])}"},
    }


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, World, dict[str, dict[str, str]], Store]]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    app = create_app(Settings(database_url=url, redis_url=None, auto_plan=False, planning_budget_s=0.5))
    with TestClient(app) as client:
        headers = role_headers(client, world, store)
        yield client, world, headers, store
    store.close()


def http_routes(app: Any) -> list[Any]:
    """Every HTTP route with its full path (FastAPI 0.16x keeps included routers' routes apart)."""
    found: list[Any] = []
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        found.extend(c for c in contexts if isinstance(getattr(c, "methods", None), set) and hasattr(c, "dependant"))
    return found


def _roles(route: Any) -> frozenset[str] | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, Require):
            return dep.call.roles
        stack.extend(dep.dependencies)
    return None


def test_every_route_admits_exactly_its_roles(
    setup: tuple[TestClient, World, dict[str, dict[str, str]], Store],
) -> None:
    client, world, headers, _ = setup
    job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
    ids = {
        "job_id": job,
        "delivery_id": job,
        "courier_id": world.couriers["Aino"][0],
        "client_id": "x",
        "webhook_id": "x",
        "token": "x",
        "run_id": "x",
        "proof_id": "x",
    }
    checked = 0
    # logging out revokes the caller's token: walk that route last
    for route in sorted(http_routes(client.app), key=lambda r: r.path == "/v1/auth/logout"):
        if route.path.startswith(("/docs", "/redoc", "/openapi")):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            roles = _roles(route)
            if roles is None:
                assert (method, route.path) in PUBLIC, f"{method} {route.path} declares no role"
                continue
            path = route.path.format(**ids)
            no_auth = client.request(method, path, json={})
            assert no_auth.status_code == 401, (method, path, no_auth.text)
            assert no_auth.json()["error"]["code"] == "unauthenticated"
            for role in ROLES:
                r = client.request(method, path, json={}, headers=headers[role])
                if role in roles:
                    assert r.status_code not in (401, 403), (role, method, path, r.text)
                else:
                    assert r.status_code == 403, (role, method, path, r.text)
                    assert r.json()["error"]["code"] == "forbidden"
                checked += 1
    assert checked >= 60
    bogus = client.get("/v1/deliveries", headers={"Authorization": "Bearer tdm_not-a-key"})
    assert bogus.status_code == 401


def test_sockets_refuse_the_wrong_role(setup: tuple[TestClient, World, dict[str, dict[str, str]], Store]) -> None:
    client, _, headers, _ = setup
    for path, wrong in (("/v1/console/ws", "courier"), ("/v1/courier/ws", "dispatcher"), ("/v1/courier/ws", "client")):
        with client.websocket_connect(path) as ws:
            token = headers[wrong]["Authorization"].split()[1]
            ws.send_text(json.dumps({"type": "hello", "token": token}))
            assert ws.receive_json()["code"] == "unauthenticated"


def _at(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


BAD: list[tuple[str, Any, str]] = [
    ("unknown field", {"colour": "red"}, "invalid_input"),
    ("pickup outside the city", {"pickup": {"lon": 2.35, "lat": 48.85}}, "outside_service_area"),
    ("latitude out of range", {"dropoff": {"lon": 24.95, "lat": 95.0}}, "invalid_input"),
    ("parcel too heavy for any vehicle", {"parcels": [{"weight_kg": 240}]}, "no_vehicle_can_carry"),
    (
        "parcel too long for any vehicle",
        {"parcels": [{"weight_kg": 2, "longest_side_cm": 400}]},
        "no_vehicle_can_carry",
    ),
    ("no parcels", {"parcels": []}, "invalid_input"),
    ("window in the past", {"pickup_window": {"start": _at(-180), "end": _at(-120)}}, "window_in_past"),
    ("inverted window", {"dropoff_window": {"start": _at(60), "end": _at(30)}}, "invalid_input"),
    (
        "window without a time zone",
        {"pickup_window": {"start": "2026-11-29T10:00", "end": "2026-11-29T11:00"}},
        "invalid_input",
    ),
    ("weight as text", {"parcels": [{"weight_kg": "heavy"}]}, "invalid_input"),
    ("negative weight", {"parcels": [{"weight_kg": -1}]}, "invalid_input"),
]


@pytest.mark.parametrize(("what", "change", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_requests_get_a_clear_4xx_and_change_nothing(
    setup: tuple[TestClient, World, dict[str, dict[str, str]], Store], what: str, change: dict[str, Any], code: str
) -> None:
    client, world, headers, store = setup
    before = store.cooperative_last_seq(world.coop_id)
    r = client.post("/v1/deliveries", json={**delivery_body(), **change}, headers=headers["client"])
    assert r.status_code == 422, (what, r.text)
    assert r.json()["error"]["code"] == code, r.text
    assert r.json()["error"]["message"]
    assert store.cooperative_last_seq(world.coop_id) == before


def test_nan_and_broken_json_are_refused(setup: tuple[TestClient, World, dict[str, dict[str, str]], Store]) -> None:
    client, _, headers, _ = setup
    text = json.dumps(delivery_body()).replace('"lon": 24.9414', '"lon": NaN')
    for raw in (text, "{not json", ""):
        r = client.post(
            "/v1/deliveries", content=raw, headers={**headers["client"], "Content-Type": "application/json"}
        )
        assert r.status_code == 422, r.text


def test_idempotency_key_returns_the_same_delivery(
    setup: tuple[TestClient, World, dict[str, dict[str, str]], Store],
) -> None:
    client, _, headers, _ = setup
    body = delivery_body()
    first = client.post("/v1/deliveries", json=body, headers={**headers["client"], "Idempotency-Key": "k1"})
    again = client.post("/v1/deliveries", json=body, headers={**headers["client"], "Idempotency-Key": "k1"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    other = client.post(
        "/v1/deliveries", json=delivery_body(weight_kg=9), headers={**headers["client"], "Idempotency-Key": "k1"}
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    listed = client.get("/v1/deliveries", headers=headers["client"]).json()["deliveries"]
    assert [d["id"] for d in listed] == [first.json()["id"]]


def test_a_second_dispatcher_gets_a_conflict_not_an_overwrite(
    setup: tuple[TestClient, World, dict[str, dict[str, str]], Store],
) -> None:
    client, world, headers, store = setup
    now = datetime.now(UTC)
    for cid, _, _ in world.couriers.values():
        commands.start_shift(store, world.coop_id, cid, at=now)
    job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
    planned = client.post("/v1/planning/rounds?wait=true", headers=headers["dispatcher"])
    assert planned.status_code == 200, planned.text
    seen = client.get(f"/v1/jobs/{job}", headers=headers["dispatcher"]).json()
    assert seen["state"] == "proposed"
    proposed = seen["proposal"]["courier_id"]
    other = next(cid for cid, _, _ in world.couriers.values() if cid != proposed)
    first = client.post(
        f"/v1/jobs/{job}/decisions",
        json={"action": "accept", "expected_seq": seen["last_seq"]},
        headers=headers["dispatcher"],
    )
    assert first.status_code == 200, first.text
    second = client.post(
        f"/v1/jobs/{job}/decisions",
        json={"action": "override", "courier_id": other, "expected_seq": seen["last_seq"]},
        headers=headers["dispatcher"],
    )
    assert second.status_code == 409, second.text
    error = second.json()["error"]
    assert (
        error["code"] == "conflict" and error["last_act"] == "ProposalAccepted" and error["by"].startswith("dispatcher")
    )
    assert client.get(f"/v1/jobs/{job}", headers=headers["dispatcher"]).json()["courier_id"] == proposed


def test_clients_see_only_their_own_deliveries_and_no_courier(
    setup: tuple[TestClient, World, dict[str, dict[str, str]], Store],
) -> None:
    client, world, headers, store = setup
    job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()
    assert "courier_id" not in json.dumps(job)
    _, other_key = store.add_client(world.coop_id, "Another shop")
    r = client.get(f"/v1/deliveries/{job['id']}", headers={"Authorization": f"Bearer {other_key}"})
    assert r.status_code == 404
    elsewhere = make_world(str(store.engine.url), name="Another coop")
    r = client.get(f"/v1/deliveries/{job['id']}", headers={"Authorization": f"Bearer {elsewhere.client_key}"})
    assert r.status_code == 404
    r = client.get(f"/v1/jobs/{job['id']}", headers=headers["dispatcher"])
    assert r.status_code == 200


def test_logout_revokes_the_token(setup: tuple[TestClient, World, dict[str, dict[str, str]], Store]) -> None:
    client, _, headers, _ = setup
    assert client.get("/v1/couriers", headers=headers["analyst"]).status_code == 200
    assert client.post("/v1/auth/logout", headers=headers["analyst"]).status_code == 204
    assert client.get("/v1/couriers", headers=headers["analyst"]).status_code == 401
    wrong = client.post("/v1/auth/login", json={"cooperative_id": "x", "login": "numbers", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "login_failed"


def test_an_analyst_replays_a_day_and_reads_its_report(
    setup: tuple[TestClient, World, dict[str, dict[str, str]], Store],
) -> None:
    import time

    from dispatch.days import day_json, read_day

    client, _, headers, _ = setup
    day = read_day(Path(__file__).resolve().parents[2] / "data" / "demo_day.json")
    small = day_json(type(day)(day.name, day.timezone, day.couriers, day.requests[:3]))
    bad = client.post("/v1/replays", json={"day": {"couriers": []}}, headers=headers["analyst"])
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "couriers"
    started = client.post("/v1/replays", json={"day": small, "budget_s": 0.2}, headers=headers["analyst"])
    assert started.status_code == 202, started.text
    run = started.json()["id"]
    assert client.get(f"/v1/replays/{run}", headers=headers["courier"]).status_code == 403
    status: dict[str, Any] = {}
    for _ in range(240):
        status = client.get(f"/v1/replays/{run}", headers=headers["analyst"]).json()
        if status["status"] != "running":
            break
        time.sleep(0.5)
    assert status["status"] == "done", status
    assert status["results"][0]["summary"]["delivered"] == 3
    report = client.get(f"/v1/replays/{run}/report", headers=headers["analyst"])
    assert report.status_code == 200 and report.text.count("<img") == 4


def test_answers_carry_security_headers(setup: tuple[TestClient, World, dict[str, dict[str, str]], Store]) -> None:
    client, _, headers, _ = setup
    for path, who in (("/healthz", None), ("/v1/deliveries", "client"), ("/console/", None), ("/v1/nowhere", None)):
        r = client.get(path, headers=headers[who] if who else {})
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Referrer-Policy"] == "no-referrer", path

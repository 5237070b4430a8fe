"""Rate limits, browser rules (CORS, CSRF, socket origins, CSP) and structured logs, for real."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.settings import Settings
from tests.api.harness import Server, World, create_delivery, delivery_body, login, make_world


def _app(url: str, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False, **settings)))


@pytest.fixture
def world(tmp_path: Path) -> tuple[str, World]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    return url, make_world(url)


def _login(client: TestClient, world: World, password: str | None = None) -> Any:
    return client.post(
        "/v1/auth/login",
        json={
            "cooperative_id": world.coop_id,
            "login": world.dispatcher_login,
            "password": password or world.dispatcher_password,
        },
    )


def test_a_runaway_api_key_is_slowed_and_nobody_else(world: tuple[str, World]) -> None:
    url, w = world
    from dispatch.store import Store

    store = Store.open(url)
    _, other_key = store.add_client(w.coop_id, "Another shop")
    store.close()
    with _app(url, rate_limit_api_key="5/minute") as client:
        mine = {"Authorization": f"Bearer {w.client_key}"}
        answers = [client.get("/v1/deliveries", headers=mine).status_code for _ in range(7)]
        assert answers == [200] * 5 + [429] * 2
        refused = client.post("/v1/deliveries", json=delivery_body(), headers=mine)
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "rate_limited" and 1 <= error["retry_after_s"] <= 60
        assert int(refused.headers["Retry-After"]) == error["retry_after_s"]
        assert client.get("/v1/deliveries", headers=mine).json()["error"]["code"] == "rate_limited"
        # the refused creation wrote nothing; another shop is not slowed
        other = client.get("/v1/deliveries", headers={"Authorization": f"Bearer {other_key}"})
        assert other.status_code == 200 and other.json()["deliveries"] == []


def test_password_guessing_is_cut_per_account(world: tuple[str, World]) -> None:
    url, w = world
    with _app(url, rate_limit_login="3/minute") as client:
        assert [_login(client, w, "guess").status_code for _ in range(3)] == [401] * 3
        blocked = _login(client, w)  # even the right password waits now: the guesser learns nothing
        assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "rate_limited"
        assert "account" in blocked.json()["error"]["message"]
        _, user, password = w.couriers["Aino"]
        other = client.post("/v1/auth/login", json={"cooperative_id": w.coop_id, "login": user, "password": password})
        assert other.status_code == 200, other.text  # another account of the same address is not blocked
        # the same account named with other letter case is the same account
        upper = client.post(
            "/v1/auth/login",
            json={"cooperative_id": w.coop_id, "login": w.dispatcher_login.upper(), "password": "x"},
        )
        assert upper.status_code == 429


def test_one_address_cannot_walk_through_many_accounts(world: tuple[str, World]) -> None:
    url, w = world
    # Per hour, not per minute: the sliding window weighs the previous window by the time left,
    # so five attempts across a minute's boundary could count as fewer than five (a flake).
    with _app(url, rate_limit_login_address="4/hour") as client:
        codes = [
            client.post("/v1/auth/login", json={"cooperative_id": w.coop_id, "login": f"u{i}", "password": "x"})
            for i in range(5)
        ]
        assert [r.status_code for r in codes] == [401] * 4 + [429]


def test_workers_share_one_budget_through_redis(world: tuple[str, World], redis_url: str) -> None:
    url, w = world
    import redis

    redis.Redis.from_url(redis_url).delete(*redis.Redis.from_url(redis_url).keys("tandem-limits*") or ["none"])
    a, b = (
        TestClient(
            create_app(Settings(database_url=url, auto_plan=False, rate_limit_api_key="4/minute", redis_url=redis_url))
        )
        for _ in range(2)
    )
    mine = {"Authorization": f"Bearer {w.client_key}"}
    with a, b:
        codes = [(a if i % 2 else b).get("/v1/deliveries", headers=mine).status_code for i in range(6)]
    assert codes == [200] * 4 + [429] * 2


def test_limits_that_make_no_sense_stop_the_server_at_start(world: tuple[str, World]) -> None:
    url, _ = world
    with pytest.raises(ValueError, match="rate_limit_login"):
        Settings(database_url=url, rate_limit_login="many per hour")


def test_cors_admits_only_the_origins_the_cooperative_lists(world: tuple[str, World]) -> None:
    url, w = world
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    with _app(url) as client:
        r = client.options("/v1/deliveries", headers={"Origin": "https://shop.example", **preflight})
        assert "access-control-allow-origin" not in r.headers
        r = client.get(
            "/v1/deliveries", headers={"Origin": "https://evil.example", "Authorization": f"Bearer {w.client_key}"}
        )
        assert "access-control-allow-origin" not in r.headers
    with _app(url, cors_origins="https://shop.example") as client:
        r = client.options("/v1/deliveries", headers={"Origin": "https://shop.example", **preflight})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example"
        assert "access-control-allow-credentials" not in r.headers
        r = client.options("/v1/deliveries", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in r.headers


def test_no_cookie_is_ever_set_or_honoured(world: tuple[str, World]) -> None:
    """CSRF rides on cookies a browser sends by itself; Tandem sets none and reads none."""
    url, w = world
    with _app(url) as client:
        r = _login(client, w)
        assert r.status_code == 200 and "set-cookie" not in r.headers
        token = r.json()["token"]
        for path in ("/console/", "/healthz", "/v1/couriers"):
            assert "set-cookie" not in client.get(path, headers={"Authorization": f"Bearer {token}"}).headers
        forged = client.post(
            "/v1/decisions/accept-all",
            json={"job_ids": []},
            headers={"Cookie": f"token={token}; session={token}", "Origin": "https://evil.example"},
        )
        assert forged.status_code == 401


def test_a_page_of_another_origin_cannot_open_a_socket(world: tuple[str, World]) -> None:
    url, w = world
    with _app(url) as client:
        token = _login(client, w).json()["token"]
        evil = {"Origin": "https://evil.example"}
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/v1/console/ws", headers=evil):
            pass
        assert refused.value.code == 4403
        for origin in ({"Origin": "http://testserver"}, {}):  # the console's own page, or a native app
            with client.websocket_connect("/v1/console/ws", headers=origin) as ws:
                ws.send_text(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
                assert ws.receive_json()["type"] == "welcome"


def test_pages_and_answers_carry_a_content_security_policy(world: tuple[str, World]) -> None:
    url, w = world
    with _app(url, tile_url="https://tiles.example.org/{z}/{x}/{y}.png") as client:
        page = client.get("/console/").headers["content-security-policy"]
        assert "script-src 'self'" in page and "frame-ancestors 'none'" in page
        assert "https://tiles.example.org" in page and "unsafe-eval" not in page
        api = client.get("/v1/deliveries", headers={"Authorization": f"Bearer {w.client_key}"})
        assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_json_logs_one_object_per_line_with_request_ids_and_no_secrets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    w = make_world(url)
    server = Server(url, auto_plan="0", log_format="json")
    server.log_level = "info"
    server.log.unlink(missing_ok=True)
    server.start()
    try:
        job = create_delivery(server.url, w)
        tracked = httpx.get(f"{server.url}/v1/deliveries/{job}", headers={"Authorization": f"Bearer {w.client_key}"})
        tracking = tracked.json()["tracking_url"]
        assert httpx.get(tracking).status_code == 200
        token = login(server.url, w.coop_id, w.dispatcher_login, w.dispatcher_password)
        mine = httpx.get(
            f"{server.url}/v1/couriers", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "desk-42"}
        )
        assert mine.headers["X-Request-ID"] == "desk-42"
        time.sleep(0.5)
    finally:
        server.stop()
    text = server.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    access = [line for line in lines if line["logger"] == "tandem.access"]
    assert {"time", "level", "request_id", "method", "path", "status", "duration_ms"} <= set(access[0])
    assert any(line["request_id"] == "desk-42" and line["path"] == "/v1/couriers" for line in access)
    assert any(line["path"] == "/v1/track/{token}" for line in access)
    secret_part = tracking.rsplit("/", 1)[1]
    for secret in (w.client_key, token, w.dispatcher_password, secret_part):
        assert secret not in text


@pytest.fixture
def served_with_limits(tmp_path: Path) -> Iterator[tuple[Server, World]]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    w = make_world(url)
    server = Server(url, auto_plan="0", rate_limit_api_key="3/minute").start()
    yield server, w
    server.stop()


def test_a_real_server_answers_429_with_retry_after(served_with_limits: tuple[Server, World]) -> None:
    server, w = served_with_limits
    mine = {"Authorization": f"Bearer {w.client_key}"}
    codes = [httpx.get(f"{server.url}/v1/deliveries", headers=mine) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert 1 <= int(codes[-1].headers["Retry-After"]) <= 60


def test_readyz_says_not_ready_while_the_database_does_not_answer(world: tuple[str, World]) -> None:
    from sqlalchemy import create_engine

    url, _ = world
    with _app(url) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 200
        store = client.app.state.services.store  # type: ignore[attr-defined]
        working = store.engine
        store.engine = create_engine("sqlite:////nonexistent-dir/tandem.db")  # the disk went away
        try:
            r = client.get("/readyz")
            assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
            assert client.get("/healthz").status_code == 200  # the process itself still answers
        finally:
            store.engine = working
        assert client.get("/readyz").status_code == 200

"""Deep nesting and huge numbers: a 4xx on every body and an error message on every socket frame,
never a 500, a traceback or a silent close; and a courier's positions are limited per courier.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.errors import MAX_JSON_DEPTH, MAX_NUMBER_DIGITS
from api.settings import Settings
from tests.api.harness import World, delivery_body, make_world


@dataclass
class Here:
    client: TestClient
    world: World
    headers: dict[str, dict[str, str]]
    tokens: dict[str, str]
    job: str


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Here]:
    url = f"sqlite:///{tmp_path_factory.mktemp('frames') / 'tandem.db'}"
    world = make_world(url)
    app = create_app(Settings(database_url=url, redis_url=None, auto_plan=False, rate_limit_position="2/second"))
    with TestClient(app, raise_server_exceptions=False) as client:

        def token(user: str, password: str) -> str:
            r = client.post(
                "/v1/auth/login", json={"cooperative_id": world.coop_id, "login": user, "password": password}
            )
            assert r.status_code == 200, r.text
            return str(r.json()["token"])

        tokens = {
            "dispatcher": token(world.dispatcher_login, world.dispatcher_password),
            "courier": token(*world.couriers["Aino"][1:]),
            "client": world.client_key,
        }
        headers = {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}
        job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
        decided = client.post(
            f"/v1/jobs/{job}/decisions",
            json={"action": "override", "courier_id": world.couriers["Aino"][0], "reason": "test", "force": True},
            headers=headers["dispatcher"],
        )
        assert decided.status_code == 200, decided.text
        yield Here(client, world, headers, tokens, job)


def _nested_arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def _nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


HUGE = "9" * 5000

# what -> a JSON text, built from the body a route would accept
BODIES: dict[str, Any] = {
    "4 kB of nested arrays": lambda ok: _nested_arrays(2000),
    "nested arrays just past the limit": lambda ok: _nested_arrays(MAX_JSON_DEPTH + 1),
    "nested objects 3,000 deep": lambda ok: _nested_objects(3000),
    "a field nested 900 deep": lambda ok: json.dumps({**ok, "notes": None}).replace("null", _nested_arrays(900)),
    "a 5,000-digit integer": lambda ok: json.dumps({**ok, "x": None}).replace("null", HUGE),
    "a 5,000-digit negative integer in a list": lambda ok: json.dumps({**ok, "x": None}).replace("null", f"[-{HUGE}]"),
    "an integer one digit too long": lambda ok: json.dumps({**ok, "x": None}).replace(
        "null", "9" * (MAX_NUMBER_DIGITS + 1)
    ),
}

ROUTES: list[tuple[str | None, str, Any]] = [
    (None, "/v1/auth/login", lambda h: {"cooperative_id": h.world.coop_id, "login": "x", "password": "y"}),
    ("client", "/v1/deliveries", lambda h: delivery_body()),
    ("client", "/v1/quotes", lambda h: delivery_body()),
    ("dispatcher", "/v1/jobs/{job}/decisions", lambda h: {"action": "accept"}),
]


@pytest.mark.parametrize("what", list(BODIES))
@pytest.mark.parametrize(("role", "path", "ok"), ROUTES, ids=[r[1] for r in ROUTES])
def test_deep_or_huge_bodies_get_a_clear_4xx(here: Here, role: str | None, path: str, ok: Any, what: str) -> None:
    text = BODIES[what](ok(here))
    r = here.client.post(
        path.format(job=here.job),
        content=text.encode(),
        headers={"Content-Type": "application/json", **(here.headers[role] if role else {})},
    )
    assert 400 <= r.status_code < 500, (what, r.status_code, r.text[:300])
    error = r.json()["error"]
    assert error["code"] and error["message"], error
    assert "Traceback" not in r.text


def test_a_limit_deep_body_is_still_accepted(here: Here) -> None:
    """The depth limit leaves room: a body of the documented depth is read as any other."""
    nested: Any = "ok"
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    body = {"cooperative_id": here.world.coop_id, "login": nested, "password": "y"}
    r = here.client.post("/v1/auth/login", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["problems"][0]["field"] == "login", r.text  # the field is wrong, not the shape


FRAMES = {
    "nested arrays": _nested_arrays(5000),
    "nested objects": _nested_objects(5000),
    "nested data of an act": '{"type": "position", "id": "n1", "data": ' + _nested_arrays(3000) + "}",
    "a 5,000-digit integer": '{"type": "position", "id": "n2", "data": {"lon": ' + HUGE + ', "lat": 60.17}}',
    "a 5,000-digit last_seq": '{"type": "ping", "id": "n3", "last_seq": ' + HUGE + "}",
}
SOCKETS = [("/v1/courier/ws", "courier"), ("/v1/console/ws", "dispatcher")]


@pytest.mark.parametrize("frame", list(FRAMES))
@pytest.mark.parametrize(("path", "role"), SOCKETS, ids=[s[1] for s in SOCKETS])
def test_deep_or_huge_frames_get_an_error_and_the_socket_stays(here: Here, path: str, role: str, frame: str) -> None:
    with here.client.websocket_connect(path) as ws:
        ws.send_text(json.dumps({"type": "hello", "token": here.tokens[role], "last_seq": 10**9}))
        assert ws.receive_json()["type"] == "welcome"
        ws.send_text(FRAMES[frame])
        answer = ws.receive_json()
        assert answer["type"] == "error" and answer["code"] == "bad_message" and answer["message"], answer
        ws.send_text(json.dumps({"type": "ping", "id": "still-there"}))
        assert ws.receive_json() == {"type": "pong", "id": "still-there"}


HELLOS = {
    "nested arrays": _nested_arrays(5000),
    "nested objects": _nested_objects(5000),
    "a 5,000-digit last_seq": '{"type": "hello", "token": "tds_x", "last_seq": ' + HUGE + "}",
}


@pytest.mark.parametrize("frame", list(HELLOS))
@pytest.mark.parametrize(("path", "role"), SOCKETS, ids=[s[1] for s in SOCKETS])
def test_a_deep_or_huge_hello_gets_an_error_and_a_policy_close(here: Here, path: str, role: str, frame: str) -> None:
    with here.client.websocket_connect(path) as ws:
        ws.send_text(HELLOS[frame])
        answer = ws.receive_json()
        assert answer["type"] == "error" and answer["code"] and answer["message"], answer
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                assert ws.receive_json()["type"] == "error"
        assert closed.value.code == 1008


def _answer(ws: Any) -> dict[str, Any]:
    """The next answer that is not an event of the stream."""
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message.get("type") != "event":
            return message


def test_positions_are_limited_per_courier(here: Here) -> None:
    """Positions at 2/second: a burst of ten gets two stored and eight clear refusals."""
    with here.client.websocket_connect("/v1/courier/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "token": here.tokens["courier"], "last_seq": 10**9}))
        assert ws.receive_json()["type"] == "welcome"
        ws.send_text(json.dumps({"type": "acknowledge", "id": "ack", "data": {"job_id": here.job}}))
        assert _answer(ws)["type"] == "result"  # the job is in hand: positions may be shared
        answers = []
        for i in range(10):
            position = {"job_id": here.job, "lon": 24.94 + i / 1e4, "lat": 60.17}
            ws.send_text(json.dumps({"type": "position", "id": f"p{i}", "data": position}))
            answers.append(_answer(ws))
    results = [a for a in answers if a["type"] == "result"]
    refused = [a for a in answers if a["type"] == "error"]
    assert len(results) <= 3, answers  # a window may straddle a second
    assert refused and all(a["code"] == "rate_limited" and a["retry_after_s"] >= 1 for a in refused), refused
    assert "position" in refused[0]["message"]
    stored = here.client.get("/v1/positions", headers=here.headers["dispatcher"]).json()["positions"]
    assert len(stored) == 1  # the latest of the stored ones


@pytest.mark.parametrize(("path", "role"), SOCKETS, ids=[s[1] for s in SOCKETS])
def test_a_second_hello_is_refused_by_name_and_the_socket_stays_as_it_was(here: Here, path: str, role: str) -> None:
    """Outside attacker's finding 6: a second hello was "type inconnu 'hello'", as if hello were
    no message of the protocol. It is refused saying a hello was said already (in the socket's
    language), its token is not taken (another role's here), and the socket stays open, as the
    AsyncAPI document says of bad_message."""
    other = here.tokens["courier" if role == "dispatcher" else "dispatcher"]
    for lang, words in (("en", "already said hello"), ("fr", "déjà dit hello")):
        with here.client.websocket_connect(path) as ws:
            ws.send_text(json.dumps({"type": "hello", "token": here.tokens[role], "last_seq": 10**9, "lang": lang}))
            assert ws.receive_json()["type"] == "welcome"
            ws.send_text(json.dumps({"type": "hello", "token": other, "last_seq": 0, "id": "again"}))
            answer = _answer(ws)
            assert (answer["type"], answer["code"], answer["id"]) == ("error", "bad_message", "again"), answer
            assert words in answer["message"] and "hello'" not in answer["message"], answer
            ws.send_text(json.dumps({"type": "ping", "id": "still-there"}))
            assert _answer(ws) == {"type": "pong", "id": "still-there"}

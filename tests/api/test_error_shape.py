"""One error shape on every refusal (issue 16 item 6): ``{"error": {"code", "message", "field"}}``,
``field`` always there (null when the refusal is about no one input), whatever refused: the
credential check, the role check, the body limit, the framework's validation, a route or method
that does not exist, the domain, the rate limits.

Every route the OpenAPI document lists is walked: without a credential (401), with a credential of
a role it does not admit (403), with its own role and an id that names nothing (404 or 422), a
body that is not JSON and a body of the wrong shape (422, naming the field), a body over the limit
(413), and a method the path does not take (405). A real conflict (409) and a login flood (429)
close the walk. Every answer is checked, and no message names a UUID or an event's class name.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import MAX_BODY_BYTES
from api.settings import Settings
from dispatch.events import EventType
from dispatch.store import Store
from tests.api.harness import World, delivery_body, make_world
from tests.api.test_http import ROLES, _roles, http_routes, role_headers

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EVENT_NAMES = re.compile(r"\b(" + "|".join(e.value for e in EventType) + r")\b")
Setup = tuple[TestClient, World, dict[str, dict[str, str]], Store]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    settings = Settings(
        database_url=url,
        redis_url=None,
        auto_plan=False,
        planning_budget_s=0.5,
        rate_limit_api_key="off",  # the walk sends hundreds of requests a second
        rate_limit_session="off",
    )
    with TestClient(create_app(settings)) as client:
        yield client, world, role_headers(client, world, store), store
    store.close()


class Seen:
    """Every refusal the walk met, checked as it comes, counted by status."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()

    def refusal(self, r: Any, what: str, *statuses: int) -> dict[str, Any]:
        """Check one answer is a refusal in the one shape (and, when given, of one of ``statuses``)."""
        assert 400 <= r.status_code < 500, (what, r.status_code, r.text)
        assert not statuses or r.status_code in statuses, (what, statuses, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json"), (what, r.headers["content-type"])
        body = r.json()
        assert isinstance(body, dict) and set(body) == {"error"}, (what, body)
        error = body["error"]
        assert {"code", "message", "field"} <= set(error), (what, error)
        assert isinstance(error["code"], str) and re.fullmatch(r"[a-z_]+", error["code"]), (what, error)
        assert isinstance(error["message"], str) and error["message"].strip(), (what, error)
        assert error["field"] is None or (isinstance(error["field"], str) and error["field"]), (what, error)
        assert not UUID.search(error["message"]), f"{what}: a message names an id: {error['message']}"
        assert not EVENT_NAMES.search(error["message"]), f"{what}: a message names an event: {error['message']}"
        self.statuses[r.status_code] += 1
        return dict(error)


def _routes(client: TestClient) -> list[tuple[str, str, Any]]:
    """(method, path, route) of every operation of the OpenAPI document, found among the app's routes."""
    doc = client.get("/openapi.json").json()
    by_key = {(m, r.path): r for r in http_routes(client.app) for m in r.methods}
    walked = [(m.upper(), p, by_key[(m.upper(), p)]) for p, ops in doc["paths"].items() for m in ops]
    assert len(walked) >= 60, len(walked)
    return walked


def _takes_body(route: Any) -> bool:
    return route.dependant.body_params != [] or route.path in ("/v1/replays", "/v1/courier/proofs")


def _walk_one(client: TestClient, seen: Seen, headers: dict[str, dict[str, str]], op: tuple[str, str, Any]) -> None:
    method, template, route = op
    roles = _roles(route)
    nobody = str(uuid.uuid4())
    path = re.sub(r"\{[^}]+\}", nobody, template)
    what = f"{method} {template}"
    if roles is None:  # public: only what its input can do wrong
        if _takes_body(route):
            seen.refusal(client.request(method, path, content=b"{", headers=_json()), f"{what} broken", 422)
        return
    error = seen.refusal(client.request(method, path, json={}), f"{what} no credential", 401)
    assert error["code"] == "unauthenticated" and error["field"] is None, (what, error)
    own = headers[sorted(roles)[0]]
    for role in sorted(set(ROLES) - roles):
        error = seen.refusal(client.request(method, path, json={}, headers=headers[role]), f"{what} as {role}", 403)
        assert error["code"] == "forbidden" and error["field"] is None, (what, error)
    if "{" in template:
        r = client.request(method, path, json={}, headers=own)
        if r.status_code >= 400:  # a few routes answer for any id (an empty list), which is no refusal
            seen.refusal(r, f"{what} unknown id", 404, 409, 410, 422)
    if _takes_body(route):
        broken = client.request(method, path, content=b'{"a": ', headers={**own, **_json()})
        error = seen.refusal(broken, f"{what} broken JSON", 422)
        assert error["field"] == "body", (what, error)
        wrong = client.request(method, path, content=b'[1, "two"]', headers={**own, **_json()})
        if "{" not in template:  # with an unknown id, the id's refusal may come first
            error = seen.refusal(wrong, f"{what} wrong shape", 422)
            assert error["field"], (what, error)
        big = b" " * (MAX_BODY_BYTES * 40)
        error = seen.refusal(client.request(method, path, content=big, headers={**own, **_json()}), f"{what} big", 413)
        assert error["field"] == "body", (what, error)


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def test_every_route_refuses_in_one_shape(setup: Setup) -> None:
    client, _, headers, _ = setup
    seen = Seen()
    walked = _routes(client)
    for op in sorted(walked, key=lambda o: o[1] == "/v1/auth/logout"):  # logging out ends the token: last
        _walk_one(client, seen, headers, op)
    for path in sorted({p for _, p, _ in walked}):
        taken = {m for m, p, _ in walked if p == path}
        other = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in taken)
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        error = seen.refusal(client.request(other, concrete), f"{other} {path}", 405)
        assert error["code"] == "method_not_allowed" and error["field"] is None, error
    seen.refusal(client.get("/v1/no-such-route"), "no such route", 404)
    assert {401, 403, 404, 405, 413, 422} <= set(seen.statuses), seen.statuses


def test_a_conflict_a_bad_drop_off_and_a_login_flood_refuse_in_the_same_shape(setup: Setup) -> None:
    client, world, headers, _ = setup
    seen = Seen()
    shop, desk = headers["client"], headers["dispatcher"]
    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    assert client.post(f"/v1/deliveries/{job}/cancel", json={}, headers=shop).status_code < 300
    error = seen.refusal(client.post(f"/v1/jobs/{job}/decisions", json={"action": "accept"}, headers=desk), "", 409)
    assert error["code"] == "illegal_transition" and error["field"] is None, error

    far = {**delivery_body(), "dropoff": {"lon": 2.35, "lat": 48.85}}
    error = seen.refusal(client.post("/v1/quotes", json=far, headers=shop), "a drop-off outside the city", 422)
    assert (error["code"], error["field"]) == ("outside_service_area", "dropoff"), error
    bad = {**delivery_body(), "dropoff": {"lon": 24.94, "lat": 999}}
    error = seen.refusal(client.post("/v1/quotes", json=bad, headers=shop), "a drop-off at latitude 999", 422)
    assert error["field"] is not None and error["field"].startswith("dropoff"), error

    wrong = {"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": "not it"}
    answers = [client.post("/v1/auth/login", json=wrong) for _ in range(15)]
    for r in answers:
        seen.refusal(r, "a wrong password", 401, 429)
    flood = seen.refusal(answers[-1], "a login flood", 429)
    assert flood["field"] is None and answers[-1].headers.get("retry-after"), flood

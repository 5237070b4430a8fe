"""One error shape on every refusal (issue 16 item 6): ``{"error": {"code", "message", "field"}}``,
``field`` always there (null when the refusal is about no one input), whatever refused: the
credential check, the role check, the body limit, the framework's validation, a route or method
that does not exist, the domain, the rate limits.

Every route the OpenAPI document lists is walked: without a credential (401), with a credential of
a role it does not admit (403), with its own role and an id that names nothing (404 or 422), each
query parameter written wrong (422), a body that is not JSON and a body of the wrong shape (422,
naming the field), a body over the limit (413), and a method the path does not take (405). A real
conflict (409) and a login flood (429) close the walk. Every answer is checked, and no message
names a UUID or an event's class name.

Every refusal the walk provokes is asked for again with ``Accept-Language: fr`` (issue 17 item 1):
the same status, ``code`` and ``field``, and words that are not the English ones (each problem of a
malformed request too) and hold no phrase of an English refusal.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
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
from tests.words import english_refusal_fragments

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EVENT_NAMES = re.compile(r"\b(" + "|".join(e.value for e in EventType) + r")\b")
FR = {"Accept-Language": "fr"}
ENGLISH = english_refusal_fragments()
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
        self.in_french = 0

    def in_both(self, send: Callable[[dict[str, str]], Any], what: str, *statuses: int) -> dict[str, Any]:
        """:meth:`refusal` of ``send``'s answer, and the same request again in French, which must
        refuse alike in other words (``send`` takes the headers to add)."""
        error = self.refusal(send({}), what, *statuses)
        self.french(send(FR), error, what)
        return error

    def french(self, r: Any, english: dict[str, Any], what: str) -> None:
        """The French answer to a request refused with ``english``: the same refusal for programs,
        in French words (its own, not the English ones, with no English phrase left in)."""
        error = self.refusal(r, f"{what} in French")
        assert (error["code"], error["field"]) == (english["code"], english["field"]), (what, error, english)
        said_fr, said_en = _words(error), _words(english)
        assert said_fr != said_en, f"{what}: the same words in French and English: {said_en}"
        for problem_fr, problem_en in zip(error.get("problems") or [], english.get("problems") or [], strict=True):
            assert problem_fr["type"] == problem_en["type"], (what, problem_fr, problem_en)
            assert problem_fr["problem"] != problem_en["problem"], f"{what}: a problem in English: {problem_fr}"
        left = [phrase for phrase in ENGLISH if phrase in error["message"]]
        assert not left, f"{what}: English in the French refusal {error['message']!r}: {left}"
        self.in_french += 1

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


def _words(error: dict[str, Any]) -> str:
    """A refusal's words without the field's name in front (a colon is all that differs there)."""
    field, message = error["field"], str(error["message"])
    return re.sub(rf"^{re.escape(field)} ?: ", "", message) if field else message


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

    def ask(given: dict[str, str] | None = None, **kwargs: Any) -> Callable[[dict[str, str]], Any]:
        return lambda language: client.request(method, path, headers={**(given or {}), **language}, **kwargs)

    if roles is None:  # public: only what its input can do wrong
        if _takes_body(route):
            seen.in_both(ask(_json(), content=b"{"), f"{what} broken", 422)
        return
    error = seen.in_both(ask(json={}), f"{what} no credential", 401)
    assert error["code"] == "unauthenticated" and error["field"] is None, (what, error)
    own = headers[sorted(roles)[0]]
    for role in sorted(set(ROLES) - roles):
        error = seen.in_both(ask(headers[role], json={}), f"{what} as {role}", 403)
        assert error["code"] == "forbidden" and error["field"] is None, (what, error)
    if "{" in template:
        unknown = ask(own, json={})
        r = unknown({})
        if r.status_code >= 400:  # a few routes answer for any id (an empty list), which is no refusal
            seen.french(unknown(FR), seen.refusal(r, f"{what} unknown id", 404, 409, 410, 422), f"{what} unknown id")
    for query in route.dependant.query_params:  # a day, a number, a choice written wrong
        odd = ask(own, params={query.alias: "7.5x"}, **({} if method == "GET" else {"json": {}}))
        r = odd({})
        if r.status_code >= 400:  # a text parameter takes it
            seen.french(odd(FR), seen.refusal(r, f"{what} ?{query.alias}=7.5x", 404, 422), f"{what} ?{query.alias}")
    if _takes_body(route):
        error = seen.in_both(ask({**own, **_json()}, content=b'{"a": '), f"{what} broken JSON", 422)
        assert error["field"] == "body", (what, error)
        if "{" not in template:  # with an unknown id, the id's refusal may come first
            error = seen.in_both(ask({**own, **_json()}, content=b'[1, "two"]'), f"{what} wrong shape", 422)
            assert error["field"], (what, error)
        big = b" " * (MAX_BODY_BYTES * 40)
        error = seen.in_both(ask({**own, **_json()}, content=big), f"{what} big", 413)
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
        error = seen.in_both(lambda lang: client.request(other, concrete, headers=lang), f"{other} {path}", 405)  # noqa: B023
        assert error["code"] == "method_not_allowed" and error["field"] is None, error
    seen.in_both(lambda lang: client.get("/v1/no-such-route", headers=lang), "no such route", 404)
    assert {401, 403, 404, 405, 413, 422} <= set(seen.statuses), seen.statuses
    assert seen.in_french * 2 == sum(seen.statuses.values()), (seen.in_french, seen.statuses)  # every one of them


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

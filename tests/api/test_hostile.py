# ruff: noqa: E501  (the tables keep one case per line, so that each reads as a sentence)
"""Hostile input at every public entry point: a clear refusal, and nothing changed.

REST bodies and query strings, the couriers' and the console's sockets, day files for replays
(the parsers, ``tandem replay`` and ``POST /v1/replays``) and OSM files for ``tandem city
import``. Each case asserts a 4xx with a machine-readable ``code`` (or a socket error / close
code, or a one-line error from the command line) AND that the cooperative is as it was: the
last event seq, the number of deliveries, the webhooks, the couriers' logins, the replays.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api import analysts
from api.app import create_app
from api.cli import app as cli_app
from api.couriers import ACTS
from api.errors import LARGER_BODIES, MAX_BODY_BYTES
from api.settings import Settings
from api.webhooks import sign, verify
from dispatch.days import CSV_COLUMNS, MAX_FILE_BYTES, MAX_REQUESTS, day_json, read_day
from dispatch.errors import InvalidInput
from dispatch.model import Role
from dispatch.store import Store
from dispatch.store import webhooks as hooks
from dispatch.store.engine import reading
from dispatch.store.schema import ClientRow, CooperativeRow, CourierRow, MemberRow
from routing.network import NetworkError, cities_dir, default_city_file, import_city
from tests.api.harness import Server, World, delivery_body, login, make_world
from tests.dispatch.conftest import fresh_url

DATA = Path(__file__).resolve().parents[2] / "data"
runner = CliRunner()


@dataclass
class Coop:
    """One cooperative behind the real app, with a job in Aino's hands and one in Veera's."""

    client: TestClient
    world: World
    store: Store
    headers: dict[str, dict[str, str]]
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)

    def state(self) -> tuple[Any, ...]:
        """What no refused input may change: the log, the deliveries, the webhooks, the logins."""
        coop = self.world.coop_id
        with reading(self.store.engine) as conn:
            logins = sorted(conn.execute(select(CourierRow.id, CourierRow.login)).all())
        return (
            self.store.cooperative_last_seq(coop),
            len(self.store.jobs(coop)),
            len(hooks.webhooks_of(self.store, coop, self.ids["client_id"])),
            tuple(logins),
            len(analysts._runs),
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Both stores: PostgreSQL refuses what SQLite keeps (a NUL byte, a 64-bit overflow)."""
    yield from fresh_url(request.param, tmp_path_factory.mktemp("hostile"), "tandem_hostile")


@pytest.fixture(scope="module")
def coop(database: str) -> Iterator[Coop]:
    url = database
    world = make_world(url)
    store = Store.open(url)
    _, analyst_password = store.add_member(world.coop_id, Role.ANALYST, "Analyst", "numbers")
    # The walks send hundreds of requests a second with one credential (every route, then again
    # in French): a rate limit would answer 429 in place of the refusal under test. Rate limits
    # have their own tests (test_security.py, test_login_hardening.py).
    settings = Settings(database_url=url, redis_url=None, auto_plan=False, planning_budget_s=0.3)
    settings.rate_limit_api_key = settings.rate_limit_session = "100000/second"
    app = create_app(settings)
    with TestClient(app) as client:

        def token(user: str, password: str) -> str:
            r = client.post(
                "/v1/auth/login", json={"cooperative_id": world.coop_id, "login": user, "password": password}
            )
            assert r.status_code == 200, r.text
            return str(r.json()["token"])

        tokens = {
            "dispatcher": token(world.dispatcher_login, world.dispatcher_password),
            "analyst": token("numbers", analyst_password),
            "courier": token(*world.couriers["Aino"][1:]),
            "client": world.client_key,
        }
        headers = {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}
        here = Coop(client, world, store, headers, tokens)
        for name, holder in (("mine", "Aino"), ("other", "Veera")):
            job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
            decided = client.post(
                f"/v1/jobs/{job}/decisions",
                json={"action": "override", "courier_id": world.couriers[holder][0], "reason": "test", "force": True},
                headers=headers["dispatcher"],
            )
            assert decided.status_code == 200, decided.text
            here.ids[name] = job
        here.ids["client_id"] = store.jobs(world.coop_id)[0].client_id or ""
        here.ids["veera"] = world.couriers["Veera"][0]
        yield here
    store.close()


def _at(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def _delivery(**change: Any) -> Callable[[], dict[str, Any]]:
    """A delivery body with ``change`` applied, built when sent (its windows follow the clock)."""
    return lambda: {**delivery_body(), **change}


def _windows(
    pickup: tuple[int, int] | None = None, dropoff: tuple[int, int | str] | None = None
) -> Callable[[], dict[str, Any]]:
    """A delivery whose windows open and close so many minutes from now (or at a given time)."""

    def build() -> dict[str, Any]:
        body = delivery_body()
        for key, span in (("pickup_window", pickup), ("dropoff_window", dropoff)):
            if span is not None:
                body[key] = {"start": _at(span[0]), "end": span[1] if isinstance(span[1], str) else _at(span[1])}
        return body

    return build


def _raw_delivery(old: str, new: str) -> Callable[[], bytes]:
    """The delivery's JSON text with a literal swapped in (NaN, Infinity: what json= cannot send)."""

    def build() -> bytes:
        text = json.dumps(delivery_body())
        assert old in text
        return text.replace(old, new, 1).encode()

    return build


def _chunks(total: int) -> Callable[[], Iterator[bytes]]:
    """A body streamed without a Content-Length, so only counting while reading can refuse it."""

    def build() -> Iterator[bytes]:
        yield b'{"notes": "'
        for _ in range(total // 65536):
            yield b"x" * 65536
        yield b'"}'

    return build


def _fleet() -> dict[str, Any]:
    return {"couriers": [{"id": "a", "vehicle": "bike", "shift_start": _at(0), "shift_end": _at(240)}]}


def _day(**change: Any) -> Callable[[], dict[str, Any]]:
    """A replay body: a one-request day with ``change`` applied to the day."""
    return lambda: {
        "day": {**_fleet(), "requests": [{**delivery_body(), "id": "r1", "request_time": _at(0)}], **change}
    }


PARCEL = {"weight_kg": 4.0, "volume_l": 10, "longest_side_cm": 40}
DELIVERIES = "/v1/deliveries"


@dataclass(frozen=True)
class Rest:
    what: str
    role: str | None
    method: str
    path: str  #: may name {mine}, {other}, {veera}
    status: int
    code: str
    json: Callable[[], Any] | None = None
    content: Callable[[], Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    names: str | bool | None = False  #: the input the refusal must name (None: none); False: not checked


# fmt: off
REST: list[Rest] = [
    # sizes
    Rest("body of 2 MiB", "client", "POST", DELIVERIES, 413, "too_large", json=_delivery(notes="x" * (2 << 20)), names="body"),
    Rest("streamed body of 2.5 MiB", "client", "POST", DELIVERIES, 413, "too_large", content=_chunks(5 << 19)),
    Rest("streamed replay day of 40 MiB", "analyst", "POST", "/v1/replays", 413, "too_large", content=_chunks(40 << 20)),
    Rest("100 parcels", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=[PARCEL] * 100)),
    Rest("idempotency key of 1000 chars", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(), headers={"Idempotency-Key": "k" * 1000}),
    # wrong types
    Rest("pickup as text", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(pickup="Rautatientori")),
    Rest("parcels as an object", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=PARCEL)),
    Rest("weight true", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=[{"weight_kg": True}])),
    Rest("weight '5'", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=[{"weight_kg": "5"}])),
    Rest("bulky 'yes'", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=[{**PARCEL, "bulky": "yes"}])),
    Rest("urgency 5", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(urgency=5)),
    Rest("lon as a list", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(pickup={"lon": [24.9], "lat": 60.1})),
    Rest("body a list", "client", "POST", DELIVERIES, 422, "invalid_input", json=lambda: [delivery_body()]),
    Rest("body not UTF-8", "client", "POST", DELIVERIES, 422, "invalid_input", content=lambda: b"\xff\xfe{\x00"),
    Rest("body not JSON", "client", "POST", DELIVERIES, 422, "invalid_input", content=lambda: b"{pickup: here}"),
    # numbers that are not numbers
    Rest("lon NaN", "client", "POST", DELIVERIES, 422, "invalid_input", content=_raw_delivery("24.9414", "NaN")),
    Rest("lat Infinity", "client", "POST", DELIVERIES, 422, "invalid_input", content=_raw_delivery("60.171", "Infinity")),
    Rest("lat -Infinity", "client", "POST", DELIVERIES, 422, "invalid_input", content=_raw_delivery("60.171", "-Infinity")),
    Rest("lon 1e999", "client", "POST", DELIVERIES, 422, "invalid_input", content=_raw_delivery("24.9414", "1e999")),
    Rest("weight NaN", "client", "POST", DELIVERIES, 422, "invalid_input", content=_raw_delivery('"weight_kg": 4.0', '"weight_kg": NaN')),
    # weights
    Rest("weight negative", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=[{"weight_kg": -3}])),
    Rest("weight zero", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=[{"weight_kg": 0}])),
    Rest("weight 1e308", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=[{"weight_kg": 1e308}])),
    Rest("weight 240 kg", "client", "POST", DELIVERIES, 422, "no_vehicle_can_carry", json=_delivery(parcels=[{"weight_kg": 240}])),
    Rest("volume negative", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(parcels=[{**PARCEL, "volume_l": -1}])),
    # windows
    Rest("window inverted", "client", "POST", DELIVERIES, 422, "invalid_input", json=_windows(pickup=(90, 30))),
    Rest("window in the past", "client", "POST", DELIVERIES, 422, "window_in_past", json=_windows(pickup=(-300, -200))),
    Rest("window closing in year 9999", "client", "POST", DELIVERIES, 422, "window_too_far", json=_windows(dropoff=(0, "9999-12-31T23:00:00+00:00"))),
    Rest("window without a zone", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(pickup_window={"start": "2026-11-29T10:00", "end": "2026-11-29T11:00"})),
    Rest("drop-off closes before pickup opens", "client", "POST", DELIVERIES, 422, "invalid_input", json=_windows(pickup=(200, 260), dropoff=(10, 100))),
    # unicode tricks
    Rest("RTL override in an address", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(pickup={"lon": 24.9414, "lat": 60.171, "address": "Kauppa\u202etxt.exe"})),
    Rest("zero-width space in the contact", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(contact="An\u200bna")),
    Rest("NUL in the notes", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(notes="ring\x00twice")),
    Rest("BOM in the contact", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(contact="\ufeffAnna")),
    Rest("lone surrogate in an address", "client", "POST", DELIVERIES, 422, "invalid_input", content=_raw_delivery('"Kauppatori"', '"Kauppa\\ud800tori"')),
    Rest("RTL isolate in a cancel reason", "client", "POST", "/v1/deliveries/{mine}/cancel", 422, "invalid_input", json=lambda: {"reason": "late \u2067x\u2069"}),
    Rest("NUL in a decision reason", "dispatcher", "POST", "/v1/jobs/{other}/decisions", 422, "invalid_input", json=lambda: {"action": "unassign", "reason": "a\x00b"}),
    Rest("RTL in a decision reason", "dispatcher", "POST", "/v1/jobs/{other}/decisions", 422, "invalid_input", json=lambda: {"action": "unassign", "reason": "\u202ebad"}),
    Rest("zero-width in a courier id", "dispatcher", "POST", "/v1/jobs/{other}/decisions", 422, "invalid_input", json=lambda: {"action": "reassign", "courier_id": "\u200bx"}),
    Rest("NUL in a courier login", "dispatcher", "POST", "/v1/couriers/{veera}/login", 422, "invalid_input", json=lambda: {"login": "veera\x00"}),
    Rest("RTL in a courier login", "dispatcher", "POST", "/v1/couriers/{veera}/login", 422, "invalid_input", json=lambda: {"login": "ar\u202eeev"}),
    Rest("joiner in a courier login", "dispatcher", "POST", "/v1/couriers/{veera}/login", 422, "invalid_input", json=lambda: {"login": "vee\u200dra"}),
    Rest("NUL in a webhook URL", "client", "POST", "/v1/webhooks", 422, "invalid_input", json=lambda: {"url": "https://hooks.test/\x00"}),
    Rest("javascript: webhook URL", "client", "POST", "/v1/webhooks", 422, "invalid_input", json=lambda: {"url": "javascript:alert(1)"}),
    Rest("NUL in a login", None, "POST", "/v1/auth/login", 422, "invalid_input", json=lambda: {"cooperative_id": "x\x00", "login": "a", "password": "b"}),
    # decisions out of shape
    Rest("unknown action", "dispatcher", "POST", "/v1/jobs/{mine}/decisions", 422, "invalid_input", json=lambda: {"action": "steal"}),
    Rest("expected_seq negative", "dispatcher", "POST", "/v1/jobs/{mine}/decisions", 422, "invalid_input", json=lambda: {"action": "accept", "expected_seq": -1}),
    Rest("expected_seq 2**70", "dispatcher", "POST", "/v1/jobs/{mine}/decisions", 422, "invalid_input", json=lambda: {"action": "accept", "expected_seq": 2**70}),
    Rest("force 'yes'", "dispatcher", "POST", "/v1/jobs/{other}/decisions", 422, "invalid_input", json=lambda: {"action": "reassign", "courier_id": "x", "force": "yes"}),
    Rest("accept-all of 501 jobs", "dispatcher", "POST", "/v1/decisions/accept-all", 422, "invalid_input", json=lambda: {"jobs": ["x"] * 501}),
    Rest("accept-all of a NUL id", "dispatcher", "POST", "/v1/decisions/accept-all", 422, "invalid_input", json=lambda: {"jobs": ["\x00"]}),
    # query strings
    Rest("limit 0", "client", "GET", "/v1/deliveries?limit=0", 422, "invalid_input"),
    Rest("limit as text", "client", "GET", "/v1/deliveries?limit=many", 422, "invalid_input"),
    Rest("unknown status", "client", "GET", "/v1/deliveries?status=lost", 422, "invalid_input"),
    Rest("after_seq negative", "analyst", "GET", "/v1/events?after_seq=-1", 422, "invalid_input"),
    Rest("after_seq 2**63", "analyst", "GET", f"/v1/events?after_seq={2**63}", 422, "invalid_input"),
    Rest("after_seq 10**30", "analyst", "GET", f"/v1/events?after_seq={10**30}", 422, "invalid_input"),
    Rest("round_number 10**30", "dispatcher", "GET", f"/v1/console/state?round_number={10**30}", 422, "invalid_input"),
    Rest("day 2026-13-45", "courier", "GET", "/v1/ledger?day=2026-13-45", 422, "invalid_input"),
    Rest("NUL in an override courier", "dispatcher", "GET", "/v1/jobs/{mine}/override-cost?courier_id=%00", 422, "invalid_input"),
    Rest("credential not a bearer", None, "GET", DELIVERIES, 401, "unauthenticated", headers={"Authorization": "Basic eDp5"}, names=None),
    Rest("a second, forged credential", "client", "GET", DELIVERIES, 401, "unauthenticated", headers={"X-API-Key": "tdm_forged"}),
    Rest("NUL in a job id", "dispatcher", "GET", "/v1/jobs/job%00", 422, "invalid_input"),
    Rest("NUL in a delivery id", "client", "POST", "/v1/deliveries/%00/cancel", 422, "invalid_input", json=lambda: {}),
    Rest("NUL in a tracking link", None, "GET", "/v1/track/x%00.y", 422, "invalid_input"),
    Rest("NUL in a courier's job path", "courier", "GET", "/v1/courier/jobs/%00/path", 422, "invalid_input"),
    Rest("escape in a webhook filter", "client", "GET", "/v1/webhooks/deliveries?webhook_id=%1b%5B2J", 422, "invalid_input"),
    Rest("NUL in a replay id", "analyst", "GET", "/v1/replays/%00", 422, "invalid_input"),
    # days posted for a replay
    Rest("day without couriers", "analyst", "POST", "/v1/replays", 422, "invalid_input", json=lambda: {"day": {"requests": []}}),
    Rest("day without requests", "analyst", "POST", "/v1/replays", 422, "invalid_input", json=_day(requests=[])),
    Rest("day with parcels of numbers", "analyst", "POST", "/v1/replays", 422, "invalid_input", json=_day(requests=[{**delivery_body(), "parcels": [5], "request_time": _at(0)}])),
    Rest("day with a NaN place", "analyst", "POST", "/v1/replays", 422, "invalid_input", content=lambda: json.dumps(_day()()).replace("24.9414", "NaN").encode()),
    Rest("day in an unknown zone", "analyst", "POST", "/v1/replays", 422, "invalid_input", json=_day(timezone="../../etc/passwd")),
    Rest("day nested 100,000 deep", "analyst", "POST", "/v1/replays", 422, "invalid_input", content=lambda: b'{"day": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    Rest("replay budget of an hour", "analyst", "POST", "/v1/replays", 422, "invalid_input", json=lambda: {**_day()(), "budget_s": 3600}),
    # fields named
    Rest("pickup outside the city", "client", "POST", "/v1/quotes", 422, "outside_service_area", json=_delivery(pickup={"lon": 2.35, "lat": 48.85}), names="pickup"),
    Rest("drop-off outside the city", "client", "POST", "/v1/quotes", 422, "outside_service_area", json=_delivery(dropoff={"lon": 2.35, "lat": 48.85}), names="dropoff"),
    Rest("drop-off latitude 95", "client", "POST", DELIVERIES, 422, "invalid_input", json=_delivery(dropoff={"lon": 24.95, "lat": 95.0}), names="dropoff.lat"),
    Rest("a courier's role for a client's route", "courier", "GET", DELIVERIES, 403, "forbidden", names=None),
    Rest("no such job", "dispatcher", "GET", "/v1/jobs/nothing-here", 404, "not_found", names=None),
    # admin acts (issue 16)
    Rest("revoking an unknown client's key", "dispatcher", "POST", "/v1/clients/nobody/key/revoke", 404, "not_found", names=None),
    Rest("a client revoking its own key", "client", "POST", "/v1/clients/{client_id}/key/revoke", 403, "forbidden", names=None),
    Rest("deactivating without a reason", "dispatcher", "POST", "/v1/couriers/{veera}/deactivate", 422, "invalid_input", json=lambda: {}, names="reason"),
    Rest("RTL in a deactivation reason", "dispatcher", "POST", "/v1/couriers/{veera}/deactivate", 422, "invalid_input", json=lambda: {"reason": "\u202eleft"}, names="reason"),
    Rest("reactivating an active courier", "dispatcher", "POST", "/v1/couriers/{veera}/reactivate", 409, "nothing_to_change", names=None),
    Rest("a currency in words", "dispatcher", "PATCH", "/v1/cooperative/settings", 422, "invalid_input", json=lambda: {"tariff": {"currency": "euros"}}, names="tariff.currency"),
    Rest("bands that go down", "dispatcher", "PATCH", "/v1/cooperative/settings", 422, "invalid_input", json=lambda: {"tariff": {"distance_bands_km": [[5, 0], [2, 100], [None, 900]]}}, names="tariff.distance_bands_km"),
    Rest("a last band with an end", "dispatcher", "PATCH", "/v1/cooperative/settings", 422, "invalid_input", json=lambda: {"tariff": {"weight_bands_kg": [[10, 0]]}}, names="tariff.weight_bands_kg"),
    Rest("a riding budget of 150 %", "dispatcher", "PATCH", "/v1/cooperative/settings", 422, "invalid_input", json=lambda: {"fairness_riding_budget": 1.5}, names="fairness_riding_budget"),
    Rest("a fairness weight of null", "dispatcher", "PATCH", "/v1/cooperative/settings", 422, "invalid_input", json=lambda: {"fairness_weight": None}, names="fairness_weight"),
    Rest("an analyst changing the tariff", "analyst", "PATCH", "/v1/cooperative/settings", 403, "forbidden", json=lambda: {"fairness_weight": 1}, names=None),
]
# fmt: on


@pytest.mark.parametrize("case", REST, ids=[c.what for c in REST])
def test_hostile_requests_get_a_clear_4xx_and_change_nothing(coop: Coop, case: Rest) -> None:
    before = coop.state()
    headers = {**(coop.headers[case.role] if case.role else {}), **case.headers}
    path = case.path.format(**coop.ids)
    if case.content is not None:
        headers.setdefault("Content-Type", "application/json")
        r = coop.client.request(case.method, path, content=case.content(), headers=headers)
    else:
        r = coop.client.request(case.method, path, json=None if case.json is None else case.json(), headers=headers)
    assert r.status_code == case.status, (case.what, r.status_code, r.text[:300])
    error = r.json()["error"]
    assert error["code"] == case.code and error["message"], error
    assert "field" in error, error  # one shape: always there, null when the refusal names no input
    if case.names is not False:
        assert error["field"] == case.names, (case.what, error)
    assert coop.state() == before, case.what


def test_an_unreachable_point_is_named_pickup_or_dropoff(coop: Coop, monkeypatch: pytest.MonkeyPatch) -> None:
    """``unreachable`` names the point no vehicle of the cooperative can reach from a street."""
    services = coop.client.app.state.services  # type: ignore[attr-defined]
    streets = services.cities.get(services.settings.city).streets  # the cooperative's city: the default one
    lon_min, lat_min, lon_max, lat_max = streets.bounds
    monkeypatch.setattr(streets, "bounds", (lon_min, lat_min, lon_max, lat_max + 0.01))  # the map's edge, widened
    far = {"lon": 24.9423, "lat": 60.185}  # some 700 m north of the bundled city's last street
    for point in ("pickup", "dropoff"):
        r = coop.client.post("/v1/quotes", json=_delivery(**{point: far})(), headers=coop.headers["client"])
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert (error["code"], error["field"]) == ("unreachable", point), error
        assert ("drop-off" in error["message"]) == (point == "dropoff"), error


def test_every_route_refuses_in_one_shape(coop: Coop) -> None:
    """Every route's refusals, walked: no credential (401), the wrong role (403), an unknown
    field in a body (422 naming it), a body too large (413 naming ``body``); each the one shape
    ``{"error": {"code", "message", "field", ...}}``, and nothing changed."""
    from tests.api.test_http import _roles, http_routes

    before = coop.state()
    ids = {"job_id": coop.ids["mine"], "delivery_id": coop.ids["mine"], "courier_id": coop.ids["veera"],
           "client_id": coop.ids["client_id"], "webhook_id": "x", "token": "x", "run_id": "x",
           "proof_id": "x"}  # fmt: skip
    walked = 0

    def refused(r: Any, status: int, named: str | None) -> None:
        assert r.status_code == status, (r.request.method, r.request.url.path, r.status_code, r.text[:300])
        error = r.json()["error"]
        assert {"code", "message", "field"} <= error.keys() and error["field"] == named, error

    for route in http_routes(coop.client.app):
        roles = _roles(route) if route.dependant is not None else None  # sockets: their own tests
        if roles is None:
            continue
        path = route.path.format(**ids)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            walked += 1
            refused(coop.client.request(method, path), 401, None)
            wrong = next(r for r in ("client", "courier", "analyst", "dispatcher") if r not in roles)
            refused(coop.client.request(method, path, headers=coop.headers[wrong]), 403, None)
            if method in ("POST", "PATCH", "PUT") and route.body_field is not None:
                mine = coop.headers[sorted(roles)[0]]
                r = coop.client.request(method, path, json={"no_such_field": 1}, headers=mine)
                refused(
                    r, 422, r.json()["error"]["problems"][0]["field"]
                )  # the first fault named (often a missing one)
                assert r.json()["error"]["field"] and "no_such_field" in r.text, r.text
                big = b'{"notes": "' + b"x" * LARGER_BODIES.get(path, MAX_BODY_BYTES) + b'"}'
                headers = {**mine, "Content-Type": "application/json"}
                refused(coop.client.request(method, path, content=big, headers=headers), 413, "body")
    assert walked >= 35  # every operation with a role (38 when written)
    assert coop.state() == before


# --------------------------------------------------------------------------------------------
# Sockets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    what: str
    send: Callable[[dict[str, str]], Any]  #: ids -> a dict (sent as JSON), a str (text) or bytes
    code: str


def _act(kind: str, msg_id: str, **data: Any) -> Callable[[dict[str, str]], Any]:
    """An act; a data value naming "mine" or "other" becomes that job's id."""
    return lambda ids: {
        "type": kind,
        "id": msg_id,
        "data": {k: ids.get(v, v) if isinstance(v, str) else v for k, v in data.items()},
    }


# fmt: off
COURIER_FRAMES: list[Frame] = [
    Frame("not JSON", lambda ids: "{type: ack", "bad_message"),
    Frame("a JSON list", lambda ids: "[1, 2]", "bad_message"),
    Frame("a binary frame", lambda ids: b"\x00\x01\x02", "bad_message"),
    Frame("a frame of 200 kB", lambda ids: json.dumps({"type": "decline", "id": "h1", "data": {"reason": "x" * 200_000}}), "too_large"),
    Frame("type a number", lambda ids: {"type": 5, "id": "h2"}, "bad_message"),
    Frame("unknown type", _act("teleport", "h3"), "bad_message"),
    Frame("id a number", lambda ids: {"type": "acknowledge", "id": 7, "data": {"job_id": ids["mine"]}}, "bad_message"),
    Frame("id of 101 chars", _act("acknowledge", "i" * 101, job_id="mine"), "bad_message"),
    Frame("NUL in the id", _act("shift_start", "s\x00"), "bad_message"),
    Frame("RTL override in the id", _act("shift_start", "\u202es"), "bad_message"),
    Frame("data a list", lambda ids: {"type": "acknowledge", "id": "h4", "data": [ids["mine"]]}, "bad_message"),
    Frame("job_id a number", _act("acknowledge", "h5", job_id=5), "invalid_input"),
    Frame("NUL in job_id", _act("acknowledge", "h6", job_id="j\x00"), "invalid_input"),
    Frame("job_id of 10,000 chars", _act("acknowledge", "h6b", job_id="j" * 10_000), "invalid_input"),
    Frame("a number as job_id of a shift act", _act("shift_end", "h7", job_id=5), "invalid_input"),
    Frame("another courier's job: acknowledge", _act("acknowledge", "h8", job_id="other"), "invalid_input"),
    Frame("another courier's job: picked up", _act("picked_up", "h9", job_id="other"), "illegal_transition"),
    Frame("another courier's job: position", _act("position", "h10", job_id="other", lon=24.94, lat=60.17), "invalid_input"),
    Frame("delivered before picked up", _act("delivered", "h11", job_id="mine"), "illegal_transition"),
    Frame("failed before picked up", _act("failed", "h12", job_id="mine", reason="closed"), "illegal_transition"),
    Frame("decline without a reason", _act("decline", "h12b", job_id="mine"), "invalid_input"),
    Frame("NUL in a decline reason", _act("decline", "h13", job_id="mine", reason="no\x00"), "invalid_input"),
    Frame("RTL in a decline reason", _act("decline", "h14", job_id="mine", reason="\u202eno"), "invalid_input"),
    Frame("reason a number", _act("decline", "h15", job_id="mine", reason=5), "invalid_input"),
    Frame("position NaN", lambda ids: '{"type": "position", "id": "h16", "data": {"job_id": "%s", "lon": NaN, "lat": 60.17}}' % ids["mine"], "invalid_input"),  # noqa: UP031
    Frame("carried_m as text", _act("delivered", "h17", job_id="mine", carried_m="far"), "invalid_input"),
    Frame("shift end not a time", _act("shift_start", "h18", planned_end="tonight"), "invalid_input"),
    Frame("shift ending before it starts", _act("shift_start", "h19", planned_end="2000-01-01T00:00:00+00:00"), "invalid_input"),
    Frame("shift ending in year 9999", _act("shift_start", "h19b", planned_end="9999-12-31T23:00:00+00:00"), "invalid_input"),
    Frame("shift end without a zone", _act("shift_start", "h19c", planned_end="2026-11-29T23:00:00"), "invalid_input"),
    Frame("breaks not a list", _act("shift_start", "h19d", breaks="lunch"), "invalid_input"),
    Frame("a break before the shift", _act("shift_start", "h19e", breaks=[{"earliest": "2000-01-01T12:00:00+00:00", "latest": "2000-01-01T13:00:00+00:00", "minutes": 30}]), "invalid_input"),
    Frame("a break longer than its window", _act("shift_start", "h19f", breaks=[{"earliest": "2098-12-31T23:00:00+00:00", "latest": "2098-12-31T23:20:00+00:00", "minutes": 30}]), "invalid_input"),
    Frame("a break without minutes", _act("shift_start", "h19g", breaks=[{"earliest": "2000-01-01T12:00:00+00:00", "latest": "2000-01-01T13:00:00+00:00"}]), "invalid_input"),
    Frame("pause while off shift", _act("shift_pause", "h20"), "invalid_input"),
]

CONSOLE_FRAMES: list[Frame] = [
    Frame("not JSON", lambda ids: "accept everything", "bad_message"),
    Frame("a binary frame", lambda ids: b"\xff", "bad_message"),
    Frame("a frame of 200 kB", lambda ids: "x" * 200_000, "too_large"),
    Frame("a decision over the socket", _act("accept", "c1", job_id="mine"), "bad_message"),
]
# fmt: on


def _send(ws: Any, frame: Any) -> None:
    if isinstance(frame, bytes):
        ws.send_bytes(frame)
    elif isinstance(frame, str):
        ws.send_text(frame)
    else:
        ws.send_text(json.dumps(frame))


def _answer(ws: Any) -> dict[str, Any]:
    """The next answer that is not an event of the stream."""
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message.get("type") != "event":
            return message


def _greet(ws: Any, coop: Coop, role: str) -> None:
    """Log the socket in, resuming from the log's end (no backlog to wade through)."""
    ws.send_text(json.dumps({"type": "hello", "token": coop.tokens[role], "last_seq": 10**9}))
    assert ws.receive_json()["type"] == "welcome"


@pytest.mark.parametrize(
    ("path", "role", "frame"),
    [("/v1/courier/ws", "courier", f) for f in COURIER_FRAMES]
    + [("/v1/console/ws", "dispatcher", f) for f in CONSOLE_FRAMES],
    ids=[f"courier: {f.what}" for f in COURIER_FRAMES] + [f"console: {f.what}" for f in CONSOLE_FRAMES],
)
def test_hostile_socket_messages_get_an_error_and_change_nothing(
    coop: Coop, path: str, role: str, frame: Frame
) -> None:
    before = coop.state()
    with coop.client.websocket_connect(path) as ws:
        _greet(ws, coop, role)
        _send(ws, frame.send(coop.ids))
        answer = _answer(ws)
        assert answer["type"] == "error" and answer["code"] == frame.code and answer["message"], answer
        _send(ws, {"type": "ping", "id": "still-there"})  # the socket survives a bad message
        assert _answer(ws) == {"type": "pong", "id": "still-there"}
    assert coop.state() == before, frame.what


# fmt: off
HELLOS: list[tuple[str, str, Callable[[dict[str, str]], Any]]] = [
    ("no hello first", "/v1/courier/ws", lambda t: {"type": "acknowledge", "id": "x", "data": {}}),
    ("a binary hello", "/v1/courier/ws", lambda t: b"hello"),
    ("a hello that is not JSON", "/v1/console/ws", lambda t: "hello"),
    ("a dispatcher on the couriers' socket", "/v1/courier/ws", lambda t: {"type": "hello", "token": t["dispatcher"]}),
    ("a courier on the console", "/v1/console/ws", lambda t: {"type": "hello", "token": t["courier"]}),
    ("a client's key on the console", "/v1/console/ws", lambda t: {"type": "hello", "token": t["client"]}),
    ("last_seq negative", "/v1/courier/ws", lambda t: {"type": "hello", "token": t["courier"], "last_seq": -1}),
    ("last_seq as text", "/v1/console/ws", lambda t: {"type": "hello", "token": t["dispatcher"], "last_seq": "0"}),
    ("token a number", "/v1/console/ws", lambda t: {"type": "hello", "token": 42}),
]
# fmt: on


@pytest.mark.parametrize(("what", "path", "hello"), HELLOS, ids=[h[0] for h in HELLOS])
def test_a_bad_hello_closes_the_socket_as_a_policy_violation(
    coop: Coop, what: str, path: str, hello: Callable[[dict[str, str]], Any]
) -> None:
    before = coop.state()
    with coop.client.websocket_connect(path) as ws:
        _send(ws, hello(coop.tokens))
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                message = ws.receive_json()
                assert message["type"] == "error" and message["code"], message
        assert closed.value.code == 1008, what
    assert coop.state() == before


def test_a_frame_beyond_the_servers_limit_closes_the_socket_with_1009(tmp_path: Path) -> None:
    """Through a real ``tandem serve``: the frame limit is the server's, before any of our code."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    server = Server(url, auto_plan="0").start()
    store = Store.open(url)
    try:
        token = login(server.url, world.coop_id, *world.couriers["Aino"][1:])
        before = store.cooperative_last_seq(world.coop_id)

        async def scenario() -> int | None:
            async with connect(f"{server.ws_url}/v1/courier/ws", max_size=None) as ws:
                await ws.send(json.dumps({"type": "hello", "token": token}))
                assert json.loads(await ws.recv())["type"] == "welcome"
                await ws.send(json.dumps({"type": "decline", "id": "big", "data": {"reason": "x" * (20 << 20)}}))
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(ws.recv(), timeout=30)
                return None if closed.value.rcvd is None else closed.value.rcvd.code

        assert asyncio.run(scenario()) == 1009  # message too big
        assert store.cooperative_last_seq(world.coop_id) == before
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200  # the worker lives on
    finally:
        store.close()
        server.stop()


def test_a_resent_act_is_recorded_once_and_an_id_reused_for_another_act_is_refused(coop: Coop) -> None:
    with coop.client.websocket_connect("/v1/courier/ws") as ws:
        _greet(ws, coop, "courier")
        _send(ws, _act("acknowledge", "ack-once", job_id="mine")(coop.ids))
        first = _answer(ws)
        assert first["type"] == "result", first
        after_first = coop.state()
        _send(ws, _act("acknowledge", "ack-once", job_id="mine")(coop.ids))
        assert _answer(ws) == first and coop.state() == after_first
        _send(ws, _act("picked_up", "ack-once", job_id="mine")(coop.ids))
        reused = _answer(ws)
        assert reused["type"] == "error" and reused["code"] == "idempotency_conflict", reused
        assert coop.state() == after_first


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
ACT_DATA = st.fixed_dictionaries(
    {},
    optional={
        key: JSON_VALUES | st.text(max_size=120)
        for key in ("job_id", "reason", "lon", "lat", "planned_end", "breaks", "carried_m")
    },
)
FRAMES = st.one_of(
    st.binary(max_size=100),
    st.text(max_size=100),
    st.fixed_dictionaries(
        {"type": st.sampled_from([*ACTS, "hello", "event", "ping"]) | st.text(max_size=12)},
        optional={"id": st.none() | st.integers() | st.text(max_size=120), "data": ACT_DATA | JSON_VALUES},
    ),
)


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(frame=FRAMES)
def test_the_couriers_socket_answers_any_frame_and_stays_open(coop: Coop, frame: Any) -> None:
    """Random frames (bytes, text, acts with any data): each gets an answer; none closes the socket.

    Some random acts are valid (a shift started, say), so this asserts the protocol, not the state.
    """
    with coop.client.websocket_connect("/v1/courier/ws") as ws:
        _greet(ws, coop, "courier")
        _send(ws, frame)
        answer = _answer(ws)
        assert answer["type"] in ("error", "result", "pong"), answer
        if answer["type"] == "error":
            assert answer["code"] and answer["message"], answer
        _send(ws, {"type": "ping", "id": "after"})
        assert _answer(ws) == {"type": "pong", "id": "after"}


def test_an_analyst_cannot_queue_replays_without_end(coop: Coop) -> None:
    day = read_day(DATA / "demo_day.json")
    body = {"day": day_json(dataclasses.replace(day, requests=day.requests[:1])), "budget_s": 0.1}
    started = [
        coop.client.post("/v1/replays", json=body, headers=coop.headers["analyst"]) for _ in range(analysts.MAX_RUNNING)
    ]
    assert [r.status_code for r in started] == [202] * analysts.MAX_RUNNING, [r.text for r in started]
    before = coop.state()
    refused = coop.client.post("/v1/replays", json=body, headers=coop.headers["analyst"])
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "busy", refused.text
    assert coop.state() == before
    deadline = time.monotonic() + 180
    for run in (r.json()["id"] for r in started):  # leave nothing running for the next tests
        while coop.client.get(f"/v1/replays/{run}", headers=coop.headers["analyst"]).json()["status"] == "running":
            assert time.monotonic() < deadline, "the replays did not finish"
            time.sleep(0.2)


# fmt: off
SIGNATURES: list[tuple[str, Callable[[int], str]]] = [
    ("empty", lambda t: ""),
    ("no timestamp", lambda t: "v1=00"),
    ("timestamp not a number", lambda t: "t=soon,v1=00"),
    ("timestamp of 400 digits", lambda t: "t=1" + "0" * 400 + ",v1=00"),
    ("MAC with non-ASCII characters", lambda t: f"t={t},v1=\u00e9\u00e9"),
    ("MAC of another body", lambda t: sign("whsec_x", b"{}", t)),
    ("an hour old", lambda t: sign("whsec_x", b"body", t - 3600)),
    ("only separators", lambda t: ",,=,"),
]
# fmt: on


@pytest.mark.parametrize(("what", "header"), SIGNATURES, ids=[s[0] for s in SIGNATURES])
def test_a_forged_webhook_signature_fails_the_check_and_never_raises(what: str, header: Callable[[int], str]) -> None:
    now = int(time.time())
    assert verify("whsec_x", sign("whsec_x", b"body", now), b"body", now=now)  # the genuine one passes
    assert verify("whsec_x", header(now), b"body", now=now) is False, what


# --------------------------------------------------------------------------------------------
# Day files: the parsers and `tandem replay`
# --------------------------------------------------------------------------------------------

CSV_HEADER = ",".join(CSV_COLUMNS)
GOOD_ROW = DATA.joinpath("demo_day.csv").read_text().splitlines()[1]
DAY_JSON = DATA.joinpath("demo_day.json").read_text()
FLEET = DATA / "demo_day-fleet.json"
NUL_TIME = "\x002026-11-28T10:00:00+02:00"


def _day_json_with_nan() -> str:
    day = json.loads(DAY_JSON)
    day["requests"][0]["pickup"]["lon"] = float("nan")
    return json.dumps(day)  # Python writes NaN, as other tools do


def _rows(*rows: str) -> str:
    return "\n".join([CSV_HEADER, *rows]) + "\n"


def _row(**change: str) -> str:
    values = dict(zip(CSV_COLUMNS, GOOD_ROW.split(","), strict=True))
    return ",".join({**values, **change}.values())


# fmt: off
DAY_FILES: list[tuple[str, str, Any, str]] = [
    # (what, file name, content: str | bytes | int (a sparse file of that size), the field refused)
    ("empty CSV", "day.csv", "", "file"),
    ("CSV with its header only", "day.csv", CSV_HEADER + "\n", "requests"),
    ("CSV missing columns", "day.csv", "id,request_time,pickup_lon\nr1,2026-11-28T10:00:00+02:00,24.9\n", "columns"),
    ("CSV short row", "day.csv", _rows(",".join(GOOD_ROW.split(",")[:6])), "line 2"),
    ("CSV long row", "day.csv", _rows(GOOD_ROW + ",extra,fields"), "line 2"),
    ("CSV NaN longitude", "day.csv", _rows(_row(pickup_lon="nan")), "line 2.lon"),
    ("CSV infinite weight", "day.csv", _rows(_row(weight_kg="inf")), "line 2.parcel.weight_kg"),
    ("CSV weight as text", "day.csv", _rows(_row(weight_kg="heavy")), "line 2"),
    ("CSV negative weight", "day.csv", _rows(_row(weight_kg="-5")), "line 2.parcel.weight_kg"),
    ("CSV time without a zone", "day.csv", _rows(_row(request_time="2026-11-28T10:00:00")), "line 2.request_time"),
    ("CSV NUL in a time", "day.csv", _rows(_row(pickup_start=NUL_TIME)), "line 2.job"),
    ("CSV field over the csv module's limit", "day.csv", _rows(_row(pickup_address="x" * 200_000)), "line 2"),
    ("CSV not UTF-8", "day.csv", b"\xff\xfe\x00i\x00d", "file"),
    (f"CSV of {MAX_REQUESTS + 1} rows", "day.csv", _rows(*[GOOD_ROW] * (MAX_REQUESTS + 1)), "requests"),
    ("a file over the size limit", "day.json", MAX_FILE_BYTES + 1, "file"),
    ("JSON truncated", "day.json", DAY_JSON[: len(DAY_JSON) // 2], "file"),
    ("JSON nested 100,000 deep", "day.json", "[" * 100_000 + "]" * 100_000, "file"),
    ("JSON a list", "day.json", "[]", "day"),
    ("JSON without requests", "day.json", json.dumps({**json.loads(DAY_JSON), "requests": []}), "requests"),
    ("JSON NaN in a place", "day.json", _day_json_with_nan(), "requests[0].lon"),
    ("JSON unknown time zone", "day.json", json.dumps({**json.loads(DAY_JSON), "timezone": "Mars/Olympus"}), "timezone"),
    ("not a day at all", "day.txt", "hello", "file"),
]
# fmt: on


def _write(path: Path, content: Any) -> None:
    if isinstance(content, int):
        with path.open("wb") as handle:
            handle.truncate(content)  # sparse: only the size matters
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _replay_refused(day: Path, fleet: Path | None) -> None:
    """``tandem replay`` stops cleanly and writes neither its report nor its figures."""
    report, metrics = day.with_name("report.html"), day.with_name("figures.csv")
    args = ["replay", str(day), "--report", str(report), "--metrics", str(metrics)]
    _refused_cleanly(args + (["--fleet", str(fleet)] if fleet else []))
    assert not report.exists() and not metrics.exists()


def _refused_cleanly(args: list[str]) -> str:
    """Run ``tandem`` and check it stopped with a one-line error and exit code 2, no traceback."""
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 2, result.output[-500:]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "error:" in result.output and "Traceback" not in result.output, result.output[-500:]
    return result.output


@pytest.mark.parametrize(("what", "name", "content", "where"), DAY_FILES, ids=[d[0] for d in DAY_FILES])
def test_bad_day_files_are_refused_by_the_parser_and_by_tandem_replay(
    tmp_path: Path, what: str, name: str, content: Any, where: str
) -> None:
    path = tmp_path / name
    _write(path, content)
    fleet = FLEET if name.endswith(".csv") else None
    with pytest.raises(InvalidInput) as refused:
        read_day(path, fleet=fleet)
    assert refused.value.field == where, (what, str(refused.value))
    _replay_refused(path, fleet)


@pytest.mark.parametrize(
    "content", [b"\xff\xfe", b"{", b"[" * 50_000, b"5"], ids=["not UTF-8", "truncated", "nested", "a number"]
)
def test_a_fleet_that_is_not_a_fleet_is_refused(tmp_path: Path, content: bytes) -> None:
    day, fleet = tmp_path / "day.csv", tmp_path / "fleet.json"
    day.write_text(_rows(GOOD_ROW))
    fleet.write_bytes(content)
    with pytest.raises(InvalidInput) as refused:
        read_day(day, fleet=fleet)
    assert refused.value.field == "fleet"
    _replay_refused(day, fleet)


# --------------------------------------------------------------------------------------------
# The admin commands: names and logins people will see
# --------------------------------------------------------------------------------------------

# fmt: off
ADMIN: list[tuple[str, Callable[[World], list[str]]]] = [
    ("RTL override in a cooperative's name", lambda w: ["create-coop", "Velo\u202eelliL"]),
    ("zero-width space in a courier's name", lambda w: ["add-courier", "--coop", w.coop_id, "--name", "Ai\u200bno"]),
    ("RTL override in a courier's contact", lambda w: ["add-courier", "--coop", w.coop_id, "--name", "Lou", "--contact", "\u202e0401234567"]),
    ("BOM in a client's name", lambda w: ["add-client", "--coop", w.coop_id, "--name", "\ufeffKukkakauppa"]),
    ("RTL isolate in a dispatcher's name", lambda w: ["add-dispatcher", "--coop", w.coop_id, "--name", "Sam\u2067x", "--login", "sam"]),
    ("joiner in a dispatcher's login", lambda w: ["add-dispatcher", "--coop", w.coop_id, "--name", "Sam", "--login", "s\u200dam"]),
    ("escape sequence in an analyst's login", lambda w: ["add-analyst", "--coop", w.coop_id, "--name", "Ana", "--login", "ana\x1b[2J"]),
    ("word joiner in a courier's login", lambda w: ["courier-login", "--coop", w.coop_id, "--courier", w.couriers["Aino"][0], "--login", "ai\u2060no"]),
]
# fmt: on


def _people(url: str) -> tuple[Any, ...]:
    """How many cooperatives, couriers, clients and members there are, and the couriers' logins."""
    store = Store.open(url)
    try:
        with reading(store.engine) as conn:
            counts = tuple(
                conn.execute(select(func.count()).select_from(row)).scalar()
                for row in (CooperativeRow, CourierRow, ClientRow, MemberRow)
            )
            return (*counts, tuple(sorted(conn.execute(select(CourierRow.id, CourierRow.login)).all())))
    finally:
        store.close()


@pytest.mark.parametrize(("what", "args"), ADMIN, ids=[a[0] for a in ADMIN])
def test_admin_commands_refuse_deceptive_names_and_logins(
    tmp_path: Path, what: str, args: Callable[[World], list[str]]
) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    before = _people(url)
    output = _refused_cleanly(["admin", *args(world), "--database", url])
    assert "U+" in output, output  # the message names the character
    assert _people(url) == before, what


@pytest.mark.parametrize("content", [b"\xff\xfe[", b"[" * 50_000, b"{"], ids=["not UTF-8", "nested", "truncated"])
def test_tandem_plan_refuses_a_jobs_file_that_is_not_json(tmp_path: Path, content: bytes) -> None:
    jobs = tmp_path / "jobs.json"
    jobs.write_bytes(content)
    _refused_cleanly(["plan", "--jobs", str(jobs), "--couriers", str(DATA / "demo_couriers.json")])


# --------------------------------------------------------------------------------------------
# OSM files: `tandem city import`
# --------------------------------------------------------------------------------------------


def _osm(inner: str) -> Callable[[], bytes]:
    return f'<?xml version="1.0"?><osm version="0.6">{inner}</osm>'.encode


def _pbf_head(size: int | None) -> Callable[[], bytes]:
    """The default city's PBF cut after ``size`` bytes (None: a third of it)."""

    def build() -> bytes:
        data = default_city_file().read_bytes()
        return data[: len(data) // 3 if size is None else size]

    return build


WAY = '<way id="5"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>'
# fmt: off
OSM_FILES: list[tuple[str, str, Callable[[], bytes]]] = [
    ("truncated PBF", "town.osm.pbf", _pbf_head(None)),
    ("PBF cut after its header", "town.osm.pbf", _pbf_head(100)),
    ("empty PBF", "town.osm.pbf", lambda: b""),
    ("text named .pbf", "town.osm.pbf", lambda: b"this is not protobuf"),
    ("random bytes named .pbf", "town.osm.pbf", lambda: os.urandom(4096)),
    ("empty XML", "town.osm", lambda: b""),
    ("XML that is not OSM", "town.osm", lambda: b"<html><body><p>a web page</p></body></html>"),
    ("not XML at all", "town.osm", lambda: b"lat,lon\n60.1,24.9\n"),
    ("OSM without ways", "town.osm", _osm('<node id="1" lat="60.1" lon="24.9"/>')),
    ("a way to a missing node", "town.osm", _osm('<node id="1" lat="60.1" lon="24.9"/>' + WAY)),
    ("a latitude that is not a number", "town.osm", _osm('<node id="1" lat="north" lon="24.9"/><node id="2" lat="60.2" lon="24.9"/>' + WAY)),
    ("a map in another format", "town.geojson", lambda: b'{"type": "FeatureCollection", "features": []}'),
]
# fmt: on


@pytest.mark.parametrize(("what", "name", "content"), OSM_FILES, ids=[o[0] for o in OSM_FILES])
def test_bad_osm_files_give_a_clear_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str, name: str, content: Callable[[], bytes]
) -> None:
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(NetworkError) as refused:
        import_city(path, name="town")
    assert str(path) in str(refused.value), (what, str(refused.value))
    output = _refused_cleanly(["city", "import", str(path), "--name", "town"])
    assert path.name in output
    assert not (cities_dir().exists() and any(cities_dir().iterdir())), "a refused file left a city behind"

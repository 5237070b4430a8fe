"""Logging in cannot be turned into a password oracle: the per-account limit holds whatever the
body looks like, and the time an attempt takes does not tell an existing login from an unknown one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.api.harness import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> tuple[str, World]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    return url, make_world(url)


def _app(url: str, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False, **settings)))


def _padded(world: World, password: str, pad: int = 5000) -> bytes:
    """A login body past 4 kB: the same fields, then whitespace (still valid JSON)."""
    body = {"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": password}
    return json.dumps(body).encode() + b" " * pad


def _chunks(raw: bytes) -> Iterator[bytes]:
    """The same body streamed without a Content-Length."""
    for start in range(0, len(raw), 1024):
        yield raw[start : start + 1024]


def test_a_padded_login_body_does_not_get_past_the_account_limit(world: tuple[str, World]) -> None:
    url, w = world
    json_type = {"Content-Type": "application/json"}
    with _app(url, rate_limit_login="3/minute") as client:
        answers = [
            client.post("/v1/auth/login", content=_padded(w, f"guess-{i}"), headers=json_type).status_code
            for i in range(10)
        ] + [
            client.post("/v1/auth/login", content=_chunks(_padded(w, f"chunked-{i}")), headers=json_type).status_code
            for i in range(10)
        ]
        assert answers.count(401) <= 3, f"padded guesses were checked past the limit: {answers}"
        assert all(400 <= a < 500 for a in answers), answers
        padded_right = client.post("/v1/auth/login", content=_padded(w, w.dispatcher_password), headers=json_type)
        assert padded_right.status_code != 200, "the right password got in through a padded body"
        assert padded_right.json()["error"]["code"] in ("too_large", "rate_limited")
        if 413 in answers:
            big = client.post("/v1/auth/login", content=_padded(w, "x"), headers=json_type)
            assert "login" in big.json()["error"]["message"], "a refusal of a large login body says why"
        # three plain guesses: the account is locked now, even for the right password
        for _ in range(3):
            client.post(
                "/v1/auth/login", json={"cooperative_id": w.coop_id, "login": w.dispatcher_login, "password": "g"}
            )
        right = client.post(
            "/v1/auth/login",
            json={"cooperative_id": w.coop_id, "login": w.dispatcher_login, "password": w.dispatcher_password},
        )
        assert right.status_code == 429, right.text


def _median_ms(client: TestClient, body: dict[str, str], times: list[float]) -> None:
    started = time.perf_counter()
    answer = client.post("/v1/auth/login", json=body)
    times.append((time.perf_counter() - started) * 1000)
    assert answer.status_code == 401, answer.text


def test_an_unknown_login_takes_as_long_as_a_known_one(world: tuple[str, World]) -> None:
    """The fastest of interleaved attempts of each kind: a busy machine only adds time, to some
    attempts and not to one kind (medians of 9 told kinds apart by 2.2x at load 7, by chance),
    while a check skipped for one kind shows in its fastest attempt too (29 ms against 2.5 ms)."""
    url, w = world
    known = {"cooperative_id": w.coop_id, "login": w.dispatcher_login, "password": "wrong"}
    courier = {"cooperative_id": w.coop_id, "login": w.couriers["Aino"][1], "password": "wrong"}
    unknown = {"cooperative_id": w.coop_id, "login": "nobody-here", "password": "wrong"}
    no_coop = {"cooperative_id": "no-such-cooperative", "login": w.dispatcher_login, "password": "wrong"}
    with _app(url, rate_limit_login="off", rate_limit_login_address="off") as client:
        _median_ms(client, known, [])  # warm up
        samples: dict[str, list[float]] = {"known": [], "courier": [], "unknown": [], "no cooperative": []}
        for _ in range(15):
            for name, body in (
                ("known", known),
                ("courier", courier),
                ("unknown", unknown),
                ("no cooperative", no_coop),
            ):
                _median_ms(client, body, samples[name])
    fastest_of = {name: min(times) for name, times in samples.items()}
    slowest, fastest = max(fastest_of.values()), min(fastest_of.values())
    assert slowest / fastest < 2.0, f"login time tells logins apart: {fastest_of} (ms, fastest of each)"

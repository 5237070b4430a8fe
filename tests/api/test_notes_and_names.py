"""Privacy holes a review found (issue 24's review): the login limit counted one account twice
under its cooperative's two names; couriers heard dispatchers' notes; refusals named people to
clients; an absence's category reached the job events. Each test attacks one over HTTP."""

from __future__ import annotations

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


def test_the_cooperative_s_id_and_short_name_share_one_login_limit(world: tuple[str, World]) -> None:
    """Three guesses a minute for one account, however its cooperative is named: by its id or by
    its short name in any case. A name that names nothing is counted all the same (its own
    budget), so the limit does not tell which names exist."""
    url, w = world
    names = [w.coop_id, "Pyora-Osuuskunta ", w.coop_id, "pyora-osuuskunta", w.coop_id, "PYORA-OSUUSKUNTA"]
    with _app(url, rate_limit_login="3/minute", rate_limit_login_address="off") as client:

        def attempt(coop: str, password: str = "guess") -> int:
            body = {"cooperative_id": coop, "login": w.dispatcher_login, "password": password}
            return client.post("/v1/auth/login", json=body).status_code

        assert [attempt(n) for n in names] == [401] * 3 + [429] * 3, "the two names gave one account two budgets"
        assert attempt("pyora-osuuskunta", w.dispatcher_password) == 429  # locked, by either name
        assert attempt(w.coop_id, w.dispatcher_password) == 429
        unknown = [attempt(n) for n in ("no-such-coop", "No-Such-Coop", "no-such-coop ", "no-such-coop")]
        assert unknown == [401] * 3 + [429], "an unknown name is counted like a known one"


def test_a_client_s_refusal_names_nobody(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client's 409 says "a dispatcher" or "a courier", never a person's name; a dispatcher's
    names them. The conflict (a race, made here on purpose) has a real one's shape: the job's last
    act and its real actor."""
    from dispatch import commands
    from dispatch.errors import Conflict
    from tests.api.harness import delivery_body, desk, in_process

    for client, w, store in in_process(tmp_path):
        shop = {"Authorization": f"Bearer {w.client_key}"}
        job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
        aino = w.couriers["Aino"][0]
        given = client.post(
            f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": aino}, headers=desk(client, w)
        )
        assert given.status_code == 200, given.text
        last = store.events(w.coop_id, after_seq=0, limit=1000)[-1]
        for by, name in ((f"dispatcher {last.actor.id}", "Dispatcher"), (f"courier {aino}", "Aino")):

            def raced(*_: Any, actor: str = by, **__: Any) -> Any:
                raise Conflict(job, last.seq - 1, last.seq, last.type.value, actor)

            monkeypatch.setattr(commands, "cancel_job", raced)
            refused = client.post(f"/v1/deliveries/{job}/cancel", headers=shop)
            assert refused.status_code == 409, refused.text
            assert name not in refused.text, f"a client's refusal names {name}: {refused.text}"
            assert "Kauppatori" in refused.json()["error"]["message"]  # their own delivery, by its places

"""Two dispatchers decide on one proposed job at the same moment, over real HTTP (outside
tester's finding 1): one accepts the proposal, the other overrides it, neither sending
``expected_seq``. Both got a 200 five times in five, the log holding ProposalAccepted then a
JobReassigned nobody chose. Now one act stands and the other hears of it (a 409 naming who
acted, or the 422 a decision made after the accept gets), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from dispatch import commands as do
from dispatch.model import Role
from dispatch.store import Store
from tests.api.harness import TLS, Server, create_delivery, login, make_world

ROUNDS = 5


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tandem.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_an_accept_and_an_override_at_once_never_both_stand(url: str) -> None:
    world = make_world(url)
    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"][0]
    store = Store.open(url)
    now = datetime.now(UTC)
    try:
        second = store.add_member(world.coop_id, Role.DISPATCHER, "Second desk", f"second-{world.coop_id[:6]}")[1]
        for courier in (aino, veera):
            do.start_shift(store, world.coop_id, courier, at=now, planned_end=now + timedelta(hours=5))
    finally:
        store.close()
    server = Server(url, auto_plan="0").start()
    try:
        one = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        two = login(server.url, world.coop_id, f"second-{world.coop_id[:6]}", second)
        answers = [
            _race(server, url, world.coop_id, create_delivery(server.url, world), aino, veera, one, two)
            for _ in range(ROUNDS)
        ]
    finally:
        server.stop()
    for accepted, overridden in answers:
        assert sorted((accepted[0], overridden[0])) in ([200, 409], [200, 422]), answers
        loser = accepted if accepted[0] != 200 else overridden
        error = json.loads(loser[1])["error"]
        winner = "Second desk" if loser is accepted else "Dispatcher"
        if loser[0] == 409:  # the conflict names who acted: the other desk
            assert "changed since you looked" in error["message"] and error["by_name"] == winner, error
        else:  # the override came after the accept: it names who took the job, too (issue 17)
            assert f"({winner} accepted the proposal): use reassign" in error["message"], error
            assert (error["by_name"], error["last_act"]) == (winner, "ProposalAccepted"), error
    store = Store.open(url)
    try:
        kinds = [e.type.value for e in store.events(world.coop_id, limit=10_000)]
    finally:
        store.close()
    assert "JobReassigned" not in kinds, kinds


def _race(
    server: Server, url: str, coop_id: str, job_id: str, aino: str, veera: str, one: str, two: str
) -> tuple[tuple[int, str], tuple[int, str]]:
    """Propose the job to Aino, then accept it (desk one) and override it to Veera (desk two) at once."""
    store = Store.open(url)
    try:
        do.propose(store, coop_id, job_id, aino, at=datetime.now(UTC))
    finally:
        store.close()
    start = threading.Barrier(2)
    said: dict[str, tuple[int, str]] = {}

    def decide(name: str, token: str, body: dict[str, str]) -> None:
        with httpx.Client(verify=TLS, timeout=60) as http:
            start.wait()
            r = http.post(
                f"{server.url}/v1/jobs/{job_id}/decisions", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            said[name] = (r.status_code, r.text)

    threads = [
        threading.Thread(target=decide, args=("accept", one, {"action": "accept"})),
        threading.Thread(
            target=decide, args=("override", two, {"action": "override", "courier_id": veera, "reason": "x"})
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return said["accept"], said["override"]


def test_an_override_after_another_desk_s_accept_names_who_took_the_job(tmp_path: Path) -> None:
    """The override dialog stays open while another dispatcher accepts the proposal; the console
    has seen the accept (its seq is the job's), so Confirm is no conflict but a job no longer
    open (issue 17): the refusal names who took it and how, in the reader's language, and keeps
    ``by``, ``by_name`` and ``last_act`` for the console to say it in its own words."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from tests.api.harness import delivery_body

    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"][0]
    store = Store.open(url)
    second = store.add_member(world.coop_id, Role.DISPATCHER, "Second desk", f"second-{world.coop_id[:6]}")[1]
    for courier in (aino, veera):  # an accept is for a courier on shift
        do.start_shift(store, world.coop_id, courier, at=datetime.now(UTC))
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False))) as client:

        def desk(login_name: str, password: str) -> dict[str, str]:
            body = {"cooperative_id": world.coop_id, "login": login_name, "password": password}
            return {"Authorization": f"Bearer {client.post('/v1/auth/login', json=body).json()['token']}"}

        one = desk(world.dispatcher_login, world.dispatcher_password)
        two = desk(f"second-{world.coop_id[:6]}", second)
        shop = {"Authorization": f"Bearer {world.client_key}"}
        job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
        do.propose(store, world.coop_id, job, aino, at=datetime.now(UTC))
        assert client.post(f"/v1/jobs/{job}/decisions", json={"action": "accept"}, headers=two).status_code == 200
        seen = client.get(f"/v1/jobs/{job}", headers=one).json()["last_seq"]
        override = {"action": "override", "courier_id": veera, "reason": "closer", "expected_seq": seen}
        said = {}
        for lang in ("fr", "en"):
            r = client.post(f"/v1/jobs/{job}/decisions", json=override, headers={**one, "Accept-Language": lang})
            assert r.status_code == 422, r.text
            said[lang] = r.json()["error"]
    store.close()
    for error in said.values():
        assert (error["code"], error["field"]) == ("invalid_input", "action"), error
        assert (error["by_name"], error["last_act"]) == ("Second desk", "ProposalAccepted"), error
        assert error["by"].startswith("dispatcher "), error
    assert said["en"]["message"] == (
        "action: “Rautatientori → Kauppatori” is assigned (Second desk accepted the proposal): use reassign to "
        "move it to another courier"
    ), said["en"]
    assert said["fr"]["message"] == (
        "action : “Rautatientori → Kauppatori” est attribuée (Second desk a accepté la proposition) : "
        "réattribuez-la pour la confier à une autre personne"
    ), said["fr"]

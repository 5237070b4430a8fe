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
        if loser[0] == 409:  # the conflict names who acted: the other desk
            error = json.loads(loser[1])["error"]
            winner = "Second desk" if loser is accepted else "Dispatcher"
            assert "changed since you looked" in error["message"] and error["by_name"] == winner, error
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

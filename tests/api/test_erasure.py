"""A departed courier's personal data erased (issue 16, the GDPR's right to erasure), by the API
(on SQLite) and by ``tandem admin erase-courier`` (on PostgreSQL): the name, login, positions and
their own words go; the facts the ledger and pay need stay under their id; the act is on record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import Settings
from dispatch import commands
from dispatch.proofs import Given
from dispatch.proofs import deliver as deliver_with_proof
from dispatch.store import Store, positions
from dispatch.store import proofs as kept_proofs
from dispatch.store.erasure import ERASED, erased_label
from dispatch.store.repository import hash_secret
from dispatch.store.schema import CourierRow
from tests.api.harness import World, delivery_body, make_world
from tests.dispatch.conftest import fresh_url

#: The grounds of the erasure, naming her as a request would: the log keeps it without her name.
REASON = "Aino asked on 1 December"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_url(request.param, tmp_path, "tandem_erasure")


def _a_day_of_aino(client: TestClient, world: World, store: Store, desk: dict[str, str]) -> tuple[str, str]:
    """Aino delivers one job (a position shared, the recipient's name given), declines another in
    her own words and holds a third: (the delivered job, the held job)."""
    aino = world.couriers["Aino"][0]
    shop = {"Authorization": f"Bearer {world.client_key}"}
    now = datetime.now(UTC)
    commands.start_shift(store, world.coop_id, aino, at=now)
    jobs = []
    for _ in range(3):
        job_id = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
        given = client.post(
            f"/v1/jobs/{job_id}/decisions", json={"action": "override", "courier_id": aino, "reason": "near"},
            headers=desk,
        )  # fmt: skip
        assert given.status_code == 200, given.text
        jobs.append(job_id)
    done, declined, held = jobs
    commands.acknowledge(store, world.coop_id, done, courier_id=aino, at=now)
    commands.pick_up(store, world.coop_id, done, courier_id=aino, at=now + timedelta(minutes=5))
    positions.record(store, world.coop_id, aino, done, 24.94, 60.17, now + timedelta(minutes=6))
    deliver_with_proof(
        store, world.coop_id, done, courier_id=aino, at=now + timedelta(minutes=20), carried_m=2500,
        given=Given(recipient_name="Helmi Virtanen"),
    )  # fmt: skip
    commands.decline(store, world.coop_id, declined, courier_id=aino, at=now, reason="my knee hurts, Aino here")
    return done, held


def _erase(via: str, client: TestClient, url: str, world: World, courier_id: str, desk: dict[str, str]) -> Any:
    """Erase through the API or the CLI: (status, answer)."""
    if via == "http":
        r = client.post(f"/v1/couriers/{courier_id}/erase", json={"reason": REASON}, headers=desk)
        return r.status_code, r.json()
    result = CliRunner().invoke(
        cli,
        [
            "admin",
            "erase-courier",
            "--coop",
            world.coop_id,
            "--courier",
            courier_id,
            "--database",
            url,
            "--json",
            "--reason",
            REASON,
        ],
    )
    if result.exit_code != 0:
        return 409, {"error": {"message": result.stderr}}
    return 200, json.loads(result.stdout)


#: Each database once and each door once: both doors call the store's one erasure, whose work on
#: each database is what the assertions read (the 2 x 2 grid proved nothing a pair does not).
@pytest.mark.parametrize(("database", "via"), [("sqlite", "http"), ("postgresql", "cli")], indirect=["database"])
def test_an_erased_courier_leaves_no_name_login_position_or_words_and_the_facts_stay(database: str, via: str) -> None:
    url = database
    world = make_world(url)
    store = Store.open(url)
    aino, aino_login, aino_password = world.couriers["Aino"]
    app = create_app(Settings(database_url=url, redis_url=None, auto_plan=False, planning_budget_s=0.5))
    with TestClient(app) as client:
        body = {"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": world.dispatcher_password}
        desk = {"Authorization": f"Bearer {client.post('/v1/auth/login', json=body).json()['token']}"}
        done, held = _a_day_of_aino(client, world, store, desk)
        mine = {"cooperative_id": world.coop_id, "login": aino_login, "password": aino_password}
        phone = {"Authorization": f"Bearer {client.post('/v1/auth/login', json=mine).json()['token']}"}

        status, refused = _erase(via, client, url, world, aino, desk)  # on shift, holding a job
        assert status == 409 and "hold" in refused["error"]["message"], refused
        assert store.courier(world.coop_id, aino).display_name == "Aino"
        left = client.post(f"/v1/couriers/{aino}/deactivate", json={"reason": "moved away"}, headers=desk)
        assert left.json()["returned"] == [held]  # its note names her by id, said with her name at the edge
        worked_before = [e.to_json() for e in store.ledger_of(world.coop_id, aino)]

        status, erased = _erase(via, client, url, world, aino, desk)
        assert status == 200, erased
        label = erased_label(aino)
        assert erased["display_name"] == label and erased["positions_deleted"] == 1 and erased["events_redacted"] >= 1
        assert client.get("/v1/courier/me/export", headers=phone).status_code == 401  # her session ended
        assert client.post("/v1/auth/login", json=mine).status_code == 401  # and her login is gone
        status, again = _erase(via, client, url, world, aino, desk)
        assert status == 409, again

        # an erasure is final: she is neither brought back nor given a login (outside tester's finding 5)
        assert client.post(f"/v1/couriers/{aino}/reactivate", headers=desk).status_code == 409
        refused = client.post(f"/v1/couriers/{aino}/login", json={"login": "asking-what-is-left"}, headers=desk)
        assert refused.status_code == 409, refused.text
        # what Tandem still holds about her, as her own export would show it: a login put in the
        # database behind the API's back, for this test only
        password = "asking-what-is-left-pw"
        with store.engine.begin() as conn:
            conn.execute(
                update(CourierRow)
                .where(CourierRow.cooperative_id == world.coop_id, CourierRow.id == aino)
                .values(active=True, login="asking-what-is-left", secret_hash=hash_secret(password))
            )
        again_in = {**mine, "login": "asking-what-is-left", "password": password}
        token = client.post("/v1/auth/login", json=again_in).json()["token"]
        export = client.get("/v1/courier/me/export", headers={"Authorization": f"Bearer {token}"}).json()
        log = client.get("/v1/events?limit=1000", headers=desk).json()["events"]
    text = json.dumps(export) + json.dumps(log)
    assert "Aino" not in text and "knee" not in text, "her name or her words are still held"
    assert export["courier"]["display_name"] == label and export["courier"]["contact"] == ""
    assert export["positions"] == []
    assert export["ledger"] == worked_before and worked_before, "the facts the ledger and pay need stay"
    assert any(e["type"] == "Delivered" and e["payload"]["job_id"] == done for e in export["events"]), "jobs done stay"
    assert any(e["payload"].get("reason") == ERASED for e in log if e["type"] == "CourierDeclined")
    # the recipient's name on the proof is the recipient's data, not hers: it stays
    assert [p.text for p in kept_proofs.proofs_of_courier(store, world.coop_id, aino)] == ["Helmi Virtanen"]
    acts = [e for e in store.events(world.coop_id) if e.type.value == "CourierErased"]
    assert len(acts) == 1 and acts[0].payload == {"courier_id": aino, "reason": f"{label} asked on 1 December"}
    assert acts[0].actor.kind.value == ("dispatcher" if via == "http" else "admin")
    store.close()

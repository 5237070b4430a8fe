"""What an analyst reads of a decline: that a job was declined and when, never by whom nor in
whose words (issue 16: nothing about a person is counted from a decline); a dispatcher reads it
whole while the job is open. The decline reasons' retention is a setting of the cooperative,
set through the API and the CLI, and the CLI purges past it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from dispatch import commands as do
from dispatch.events import Actor
from dispatch.model import Role
from dispatch.store import Store
from tests.api.harness import World, delivery_body, desk, in_process

Stack = tuple[TestClient, World, Store]
WORDS = "my knee hurts today"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield from in_process(tmp_path)


def _log_in(client: TestClient, coop_id: str, login: str, password: str) -> dict[str, str]:
    answer = client.post("/v1/auth/login", json={"cooperative_id": coop_id, "login": login, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _declined_job(client: TestClient, w: World, store: Store, desk_: dict[str, str]) -> tuple[str, str]:
    veera = w.couriers["Veera"][0]
    do.start_shift(store, w.coop_id, veera, at=datetime.now(UTC))
    shop = {"Authorization": f"Bearer {w.client_key}"}
    job = client.post("/v1/deliveries", json=delivery_body(weight_kg=20.0), headers=shop).json()["id"]
    given = client.post(f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": veera}, headers=desk_)
    assert given.status_code == 200, given.text
    do.decline(store, w.coop_id, job, courier_id=veera, at=datetime.now(UTC), reason=WORDS)
    return job, veera


def test_an_analyst_reads_declines_without_the_courier_a_dispatcher_with(stack: Stack) -> None:
    client, w, store = stack
    desk_ = desk(client, w)
    _, password = store.add_member(w.coop_id, Role.ANALYST, "Counting", "counting")
    analyst = _log_in(client, w.coop_id, "counting", password)
    job, veera = _declined_job(client, w, store, desk_)

    seen = [
        client.get(f"/v1/jobs/{job}", headers=analyst).json(),
        client.get("/v1/jobs?state=all", headers=analyst).json(),
        client.get("/v1/events", headers=analyst).json(),
    ]
    declined = [e for e in seen[2]["events"] if e["type"] == "CourierDeclined"]
    assert declined and all(e["actor"]["id"] is None and e["payload"] == {"job_id": job} for e in declined)
    assert seen[0]["declines"] and all(set(d) == {"at"} for d in seen[0]["declines"])
    # the courier's id and words appear nowhere in what is said of the decline
    for answer in seen[:2]:
        assert WORDS not in json.dumps(answer)
        assert veera not in json.dumps(answer.get("declines", [j.get("declines") for j in answer.get("jobs", [])]))
    assert WORDS not in json.dumps(seen[2])

    whole = client.get(f"/v1/jobs/{job}", headers=desk_).json()
    assert whole["declines"][0]["courier_id"] == veera and whole["declines"][0]["reason"] == WORDS


def test_the_retention_is_set_through_the_api_and_refused_out_of_bounds(stack: Stack) -> None:
    client, w, store = stack
    desk_ = desk(client, w)
    assert client.get("/v1/cooperative/settings", headers=desk_).json()["decline_reason_retention_days"] == 30
    last = store.cooperative_last_seq(w.coop_id)
    for bad in (0, 3651, 7.5, True, "30", None):
        refused = client.patch("/v1/cooperative/settings", json={"decline_reason_retention_days": bad}, headers=desk_)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error"]["field"] == "decline_reason_retention_days", refused.json()
    assert store.cooperative_last_seq(w.coop_id) == last
    changed = client.patch("/v1/cooperative/settings", json={"decline_reason_retention_days": 7}, headers=desk_)
    assert changed.status_code == 200, changed.text
    assert changed.json()["decline_reason_retention_days"] == 7
    assert changed.json()["changed"] == ["decline_reason_retention_days"]


def test_the_cli_sets_the_retention_and_purges_past_it(stack: Stack, tmp_path: Path) -> None:
    client, w, store = stack
    database = f"sqlite:///{tmp_path / 'tandem.db'}"
    job, _ = _declined_job(client, w, store, desk(client, w))
    do.cancel_job(store, w.coop_id, job, by=Actor.system(), at=datetime.now(UTC))
    runner = CliRunner()

    def run(*args: str) -> dict[str, object]:
        result = runner.invoke(cli, ["admin", *args, "--database", database, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    later = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    assert run("purge-declines", "--coop", w.coop_id, "--now", later)["purged"] == 0  # 30 days by default
    assert run("settings", "--coop", w.coop_id, "--decline-reason-retention-days", "7")["changed"] == [
        "decline_reason_retention_days"
    ]
    assert run("purge-declines", "--now", later)["purged"] == 1
    assert store.job(w.coop_id, job).declines[0]["reason"] is None
    refused = runner.invoke(
        cli, ["admin", "settings", "--coop", w.coop_id, "--decline-reason-retention-days", "0", "--database", database]
    )
    assert refused.exit_code == 2 and "decline_reason_retention_days" in refused.output
    refused = runner.invoke(cli, ["admin", "purge-declines", "--coop", "nope", "--database", database])
    assert refused.exit_code == 2

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
from dispatch.model import JobRequest, Parcel, Place, Role, TimeWindow
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


def test_the_running_server_purges_old_decline_reasons_on_its_own(tmp_path: Path) -> None:
    """The app's periodic maintenance (api/app.py, at start and then every hour) runs the purge."""
    import time

    from api.app import create_app
    from api.settings import Settings
    from tests.api.harness import make_world

    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    w = make_world(url)
    store = Store.open(url)
    veera = w.couriers["Veera"][0]
    then = datetime.now(UTC) - timedelta(days=40)
    client_id = store.add_client(w.coop_id, "Shop")[0].id
    do.start_shift(store, w.coop_id, veera, at=then)
    job = do.request_job(store, w.coop_id, client_id, _request(then), at=then).id
    do.override(store, w.coop_id, job, veera, dispatcher_id="d", at=then)
    do.decline(store, w.coop_id, job, courier_id=veera, at=then, reason=WORDS)
    do.cancel_job(store, w.coop_id, job, by=Actor.system(), at=then)
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False))):
        deadline = time.monotonic() + 10
        while store.job(w.coop_id, job).declines[0]["reason"] is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert store.job(w.coop_id, job).declines[0]["reason"] is None
    assert any(e.type.value == "DeclineReasonsPurged" for e in store.events(w.coop_id))
    store.close()


def _request(when: datetime) -> JobRequest:
    window = TimeWindow(when, when + timedelta(hours=2))
    return JobRequest(
        pickup=Place(24.9414, 60.1710, "Rautatientori 1"),
        dropoff=Place(24.9525, 60.1675, "Kauppatori"),
        pickup_window=window,
        dropoff_window=window,
        parcels=(Parcel(weight_kg=4.0, volume_l=20, longest_side_cm=50),),
    )

"""The ledger's week view over real HTTP (issue 23): ``GET /v1/ledger/rolling`` answers every
member the same sums of the last 7 or 28 days, and any other span gets a 422 naming the field."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from dispatch import commands
from dispatch.store import Store
from tests.api.harness import make_world


def _login(client: TestClient, coop_id: str, user: str, password: str) -> dict[str, str]:
    r = client.post("/v1/auth/login", json={"cooperative_id": coop_id, "login": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_every_member_reads_the_same_rolling_ledger_and_a_bad_span_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    aino = world.couriers["Aino"][0]
    store = Store.open(url)
    try:
        zone = ZoneInfo(store.cooperative(world.coop_id).timezone)
        day = datetime.now(zone).date() - timedelta(days=2)
        at = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
        commands.start_shift(store, world.coop_id, aino, at=at)
        commands.end_shift(store, world.coop_id, aino, at=at + timedelta(hours=3))
    finally:
        store.close()
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False))) as client:
        desk = _login(client, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        _, user, password = world.couriers["Veera"]
        veera = _login(client, world.coop_id, user, password)
        seen = [client.get("/v1/ledger/rolling?days=7", headers=h) for h in (desk, veera)]
        assert [r.status_code for r in seen] == [200, 200]
        assert seen[0].json() == seen[1].json()  # the same view for a dispatcher and a courier
        rows = {r["courier_id"]: r for r in seen[0].json()["couriers"]}
        assert rows[aino]["shift_minutes"] == 180 and rows[aino]["days_on_shift"] == 1
        assert client.get("/v1/ledger/rolling", headers=desk).json()["days"] == 7  # the default span
        refused = client.get("/v1/ledger/rolling?days=30", headers=desk)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "days"
        assert client.get("/v1/ledger/rolling?days=7").status_code == 401

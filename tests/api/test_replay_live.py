"""A day recorded through the live API, replayed from its event log, gives the same figures."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from dispatch.replay import day_from_log, measure, replay
from dispatch.simulation import Policy, SimulationRecord
from dispatch.store import Store
from routing.network import open_city
from tests.api.harness import delivery_body, make_world


def _act(ws: Any, kind: str, msg_id: str, **data: Any) -> None:
    ws.send_text(json.dumps({"type": kind, "id": msg_id, "data": data}))
    while True:
        message = json.loads(ws.receive_text())
        if message.get("id") == msg_id:
            assert message["type"] == "result", message
            return


def test_a_live_day_replayed_from_its_log_reproduces_its_figures(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    world = make_world(url)
    app = create_app(Settings(database_url=url, redis_url=None, auto_plan=False))
    plan = [("Aino", 4.0), ("Veera", 30.0), ("Veera", 6.0), ("Aino", 8.0)]
    with TestClient(app) as client:

        def token(user: str, password: str) -> str:
            r = client.post(
                "/v1/auth/login", json={"cooperative_id": world.coop_id, "login": user, "password": password}
            )
            return str(r.json()["token"])

        desk = {"Authorization": f"Bearer {token(world.dispatcher_login, world.dispatcher_password)}"}
        sockets = {}
        for name, (_, user, password) in world.couriers.items():
            ws = client.websocket_connect("/v1/courier/ws").__enter__()
            ws.send_text(json.dumps({"type": "hello", "token": token(user, password), "last_seq": 0}))
            assert json.loads(ws.receive_text())["type"] == "welcome"
            _act(ws, "shift_start", f"start-{name}")
            sockets[name] = ws
        jobs = []
        for i, (name, weight) in enumerate(plan):
            r = client.post(
                "/v1/deliveries",
                json=delivery_body(weight_kg=weight),
                headers={"Authorization": f"Bearer {world.client_key}"},
            )
            assert r.status_code == 201, r.text
            job = r.json()["id"]
            jobs.append(job)
            d = client.post(
                f"/v1/jobs/{job}/decisions",
                json={"action": "override", "courier_id": world.couriers[name][0], "reason": "live"},
                headers=desk,
            )
            assert d.status_code == 200, d.text
            for step in ("acknowledge", "picked_up", "delivered"):
                _act(sockets[name], step, f"{step}-{i}", job_id=job)
        for name, ws in sockets.items():
            _act(ws, "shift_end", f"end-{name}")
            ws.__exit__(None, None, None)

    store = Store.open(url)
    try:
        day = day_from_log(store, world.coop_id)
        live = measure(store, world.coop_id, day, Policy(name="as-happened"), SimulationRecord(), seed=0)
    finally:
        store.close()
    assert len(day.requests) == 4 and {c.name for c in day.couriers} == {"Aino", "Veera"}
    replayed = replay(day, Policy(name="as-happened", budget_s=0.2), open_city(None), seed=1)
    for key in ("requests", "delivered", "not_delivered", "on_time_rate", "lateness_p90_min"):
        assert replayed.summary[key] == live.summary[key], key
    assert replayed.lateness_minutes == live.lateness_minutes
    carried = Counter(j["courier"] for j in replayed.jobs)
    assert carried == Counter(j["courier"] for j in live.jobs) == Counter(name for name, _ in plan)
    heavy = {c["courier"]: c["heavy_kg"] for c in replayed.couriers}
    assert heavy == {c["courier"]: c["heavy_kg"] for c in live.couriers} == {"Aino": 0.0, "Veera": 30.0}

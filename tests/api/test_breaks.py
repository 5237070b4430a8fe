"""A courier starts a shift with a break over the socket (issue 18); the phone's page shows it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.store import Store
from tests.api.harness import World, in_process


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    yield from in_process(tmp_path)


def _token(client: TestClient, w: World, name: str) -> str:
    _, login, password = w.couriers[name]
    answer = client.post("/v1/auth/login", json={"cooperative_id": w.coop_id, "login": login, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def _act(ws: Any, msg_id: str, data: dict[str, Any]) -> dict[str, Any]:
    ws.send_json({"type": "shift_start", "id": msg_id, "data": data})
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message.get("id") == msg_id:
            return message


def test_a_shift_starts_with_its_break_and_a_break_past_the_shift_is_refused_with_the_reason(
    world: tuple[TestClient, World, Store],
) -> None:
    client, w, _ = world
    token = _token(client, w, "Aino")
    now = datetime.now(UTC)
    end = now + timedelta(hours=4)
    lunch = {"earliest": (now + timedelta(hours=1)).isoformat(), "latest": (now + timedelta(hours=2)).isoformat()}
    with client.websocket_connect("/v1/courier/ws") as ws:
        ws.send_json({"type": "hello", "token": token, "last_seq": 10**9})
        assert ws.receive_json()["type"] == "welcome"
        late = {**lunch, "latest": (end + timedelta(minutes=30)).isoformat(), "minutes": 30}
        refused = _act(ws, "s1", {"planned_end": end.isoformat(), "breaks": [late]})
        assert refused["type"] == "error" and refused["code"] == "invalid_input"
        assert "inside the shift" in refused["message"], refused
        started = _act(ws, "s2", {"planned_end": end.isoformat(), "breaks": [{**lunch, "minutes": 30}]})
        assert started["type"] == "result", started
    shift = client.get("/v1/courier/jobs", headers={"Authorization": f"Bearer {token}"}).json()["shift"]
    assert shift["on_shift"] and shift["breaks"] == [{**lunch, "minutes": 30}]

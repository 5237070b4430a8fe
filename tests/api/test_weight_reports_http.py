"""The weight/size report route is bounded (attack findings 1 and 8), through the real app:
values below what a courier can tell apart are a 422 naming the field, the same values again a
409 ``nothing_to_change``, a sixth report for one job a 409 ``too_many_reports``; nothing of a
refusal is written and no webhook is sent for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dispatch import commands as do
from dispatch.events import EventType
from dispatch.store import Store
from tests.api.harness import World, delivery_body, in_process

Stack = tuple[TestClient, World, Store]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield from in_process(tmp_path)


def _phone(client: TestClient, world: World, name: str) -> dict[str, str]:
    _, user, password = world.couriers[name]
    answer = client.post("/v1/auth/login", json={"cooperative_id": world.coop_id, "login": user, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_reports_below_a_sane_minimum_again_or_too_often_are_refused_with_a_reason(stack: Stack) -> None:
    client, w, store = stack
    veera = w.couriers["Veera"][0]
    shop = {"Authorization": f"Bearer {w.client_key}"}
    job = client.post("/v1/deliveries", json=delivery_body(weight_kg=20.0), headers=shop).json()["id"]
    do.start_shift(store, w.coop_id, veera, at=datetime.now(UTC))
    do.override(store, w.coop_id, job, veera, dispatcher_id="d", at=datetime.now(UTC))
    phone, route = _phone(client, w, "Veera"), f"/v1/courier/jobs/{job}/weight"

    last = store.cooperative_last_seq(w.coop_id)
    for body, field in (
        ({"weight_kg": 5e-324}, "weight_kg"),
        ({"weight_kg": 1e-300}, "weight_kg"),
        ({"weight_kg": 0.009}, "weight_kg"),
        ({"volume_l": 1e-320}, "volume_l"),
        ({"longest_side_cm": 1e-7}, "longest_side_cm"),
        ({"weight_kg": 30, "longest_side_cm": 0.5}, "longest_side_cm"),
    ):
        refused = client.post(route, json=body, headers=phone)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["field"] == field, (body, refused.text)
    assert store.cooperative_last_seq(w.coop_id) == last

    assert client.post(route, json={"weight_kg": 0.01}, headers=phone).status_code == 200  # the bound itself
    same = client.post(route, json={"weight_kg": 0.01}, headers=phone)
    assert same.status_code == 409 and same.json()["error"]["code"] == "nothing_to_change", same.text
    for news in ({"weight_kg": 10}, {"volume_l": 12}, {"longest_side_cm": 35}, {"weight_kg": 11}):
        assert client.post(route, json=news, headers=phone).status_code == 200, news
    last = store.cooperative_last_seq(w.coop_id)
    flood = client.post(route, json={"weight_kg": 12}, headers=phone)
    assert flood.status_code == 409 and flood.json()["error"]["code"] == "too_many_reports", flood.text
    assert "5 times" in flood.json()["error"]["message"]
    assert store.cooperative_last_seq(w.coop_id) == last
    reports = [e for e in store.events(w.coop_id) if e.job_id == job and e.type is EventType.PARCEL_REWEIGHED]
    assert len(reports) == 5 and store.job(w.coop_id, job).weight_kg == 11.0


def test_a_size_only_report_on_a_five_gram_envelope_is_not_refused_on_its_weight(stack: Stack) -> None:
    """The intake takes a 5 g envelope; the courier measures only its size: the report is taken
    and the job keeps its 5 g (review item 8: it was a 422 on weight_kg, a field never sent)."""
    client, w, store = stack
    veera = w.couriers["Veera"][0]
    shop = {"Authorization": f"Bearer {w.client_key}"}
    made = client.post("/v1/deliveries", json=delivery_body(weight_kg=0.005), headers=shop)
    assert made.status_code == 201, made.text
    job = made.json()["id"]
    do.start_shift(store, w.coop_id, veera, at=datetime.now(UTC))
    do.override(store, w.coop_id, job, veera, dispatcher_id="d", at=datetime.now(UTC))
    phone, route = _phone(client, w, "Veera"), f"/v1/courier/jobs/{job}/weight"

    for size in ({"longest_side_cm": 45}, {"volume_l": 12, "longest_side_cm": 50}):
        taken = client.post(route, json=size, headers=phone)
        assert taken.status_code == 200, (size, taken.text)
        assert taken.json()["weight_kg"] == pytest.approx(0.005)
    assert store.job(w.coop_id, job).weight_kg == pytest.approx(0.005)
    refused = client.post(route, json={"weight_kg": 0.005}, headers=phone)  # a weight given is bounded
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "weight_kg", refused.text

"""The repricing rule is set where the other settings are (issue 18): `GET/PATCH
/v1/cooperative/settings` reads and changes it, only a dispatcher may change it, a bad value is
refused with the field, and the next weight reported at pickup is priced again, or not, by it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.i18n import say_quote
from dispatch import commands as do
from dispatch.model import Role
from dispatch.store import Store
from tests.api.harness import World, delivery_body, desk, in_process

Stack = tuple[TestClient, World, Store]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield from in_process(tmp_path)


def _log_in(client: TestClient, coop_id: str, login: str, password: str) -> dict[str, str]:
    answer = client.post("/v1/auth/login", json={"cooperative_id": coop_id, "login": login, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _reweighed(client: TestClient, w: World, store: Store, desk_: dict[str, str], phone: dict[str, str]) -> Any:
    """A 20 kg job given to the cargo bike, reported at pickup as 45 kg: it stays the courier's,
    and the answer says whether it was priced again."""
    shop = {"Authorization": f"Bearer {w.client_key}"}
    veera = w.couriers["Veera"][0]
    job = client.post("/v1/deliveries", json=delivery_body(weight_kg=20.0), headers=shop).json()["id"]
    given = client.post(f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": veera}, headers=desk_)
    assert given.status_code == 200, given.text
    said = client.post(f"/v1/courier/jobs/{job}/weight", json={"weight_kg": 45}, headers=phone)
    assert said.status_code == 200, said.text
    assert said.json()["back_to_dispatch"] is False
    (event,) = [e for e in store.events(w.coop_id) if e.job_id == job and e.type.value == "ParcelReweighed"]
    return said.json(), event.payload


def test_a_dispatcher_sets_the_repricing_rule_through_the_api_and_the_next_weight_reported_is_priced_by_it(
    stack: Stack,
) -> None:
    client, w, store = stack
    desk_ = desk(client, w)
    _, analyst_password = store.add_member(w.coop_id, Role.ANALYST, "Counting", "counting")
    analyst = _log_in(client, w.coop_id, "counting", analyst_password)
    _, login, password = w.couriers["Veera"]
    phone = _log_in(client, w.coop_id, login, password)
    do.start_shift(store, w.coop_id, w.couriers["Veera"][0], at=datetime.now(UTC))

    assert client.get("/v1/cooperative/settings", headers=analyst).json()["repricing"] == "none"  # members read it
    first, logged = _reweighed(client, w, store, desk_, phone)
    assert first["repricing"] == "none" and first["quotes"] is None and "requote" not in logged

    # only a dispatcher changes it; a bad value is refused with the field, and nothing is recorded
    last = store.cooperative_last_seq(w.coop_id)
    for who in (analyst, phone, {"Authorization": f"Bearer {w.client_key}"}):
        assert client.patch("/v1/cooperative/settings", json={"repricing": "requote"}, headers=who).status_code == 403
    for bad in ("sometimes", None, 1, ["requote"]):
        refused = client.patch("/v1/cooperative/settings", json={"repricing": bad}, headers=desk_)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error"]["field"] == "repricing", (bad, refused.json())
    assert store.cooperative_last_seq(w.coop_id) == last

    changed = client.patch("/v1/cooperative/settings", json={"repricing": "requote"}, headers=desk_)
    assert changed.status_code == 200, changed.text
    assert changed.json()["repricing"] == "requote" and changed.json()["changed"] == ["repricing"]
    (recorded,) = [e for e in store.events(w.coop_id) if e.type.value == "CooperativeSettingsChanged"]
    assert recorded.payload["changes"] == {"repricing": {"from": "none", "to": "requote"}}
    assert client.get("/v1/cooperative/settings", headers=desk_).json()["repricing"] == "requote"
    same = client.patch("/v1/cooperative/settings", json={"repricing": "requote"}, headers=desk_).json()
    assert same["seq"] is None and same["changed"] == []  # nothing to change records nothing

    second, logged = _reweighed(client, w, store, desk_, phone)
    assert second["repricing"] == "requote"
    assert (second["quotes"]["previous"]["weight_kg"], second["quotes"]["new"]["weight_kg"]) == (20.0, 45.0)
    assert second["quotes"]["new"]["total_cents"] > second["quotes"]["previous"]["total_cents"]
    assert say_quote(logged["requote"]["new"]) == second["quotes"]["new"]  # the quote history in the log (codes)

    # the other settings are left as they were
    kept = client.get("/v1/cooperative/settings", headers=desk_).json()
    assert kept["fairness_weight"] == 0.5 and kept["tariff"]["currency"] == "EUR"

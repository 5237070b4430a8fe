"""The operator's second day (issue 16): keys revoked and rotated, a courier who leaves and comes
back, the members' settings changed; each by the API and by ``tandem admin``, each on record."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import Settings
from dispatch import commands
from dispatch.events import Actor, ActorKind
from dispatch.model import Role
from dispatch.store import Store
from dispatch.store.access import LoginRevoked, log_in
from tests.api.harness import World, delivery_body, make_world
from tests.dispatch.conftest import fresh_url

Setup = tuple[TestClient, World, dict[str, str], Store]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """One server for the API's tests (each acts on its own client or courier, or puts back
    what it changed): starting one costs more than a test."""
    url = f"sqlite:///{tmp_path_factory.mktemp('lifecycle') / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    app = create_app(Settings(database_url=url, redis_url=None, auto_plan=False, planning_budget_s=0.5))
    with TestClient(app) as client:
        r = client.post(
            "/v1/auth/login",
            json={
                "cooperative_id": world.coop_id,
                "login": world.dispatcher_login,
                "password": world.dispatcher_password,
            },
        )
        yield client, world, {"Authorization": f"Bearer {r.json()['token']}"}, store
    store.close()


def _log(client: TestClient, desk: dict[str, str]) -> list[dict[str, Any]]:
    return list(client.get("/v1/events?limit=1000", headers=desk).json()["events"])


def _client_id(store: Store, key: str) -> str:
    found = store.client_by_api_key(key)
    assert found is not None
    return found.id


def test_a_revoked_key_gets_in_no_more_at_once_and_a_rotated_one_replaces_it(setup: Setup) -> None:
    client, world, desk, store = setup
    me = client.get("/v1/console/state", headers=desk).json()["me"]["id"]
    shop, shop_key = store.add_client(world.coop_id, "Leipomo")
    client_id = shop.id

    def status(key: str) -> int:
        return client.get("/v1/deliveries", headers={"Authorization": f"Bearer {key}"}).status_code

    assert status(shop_key) == 200  # now trusted by this worker for 2 s
    revoked = client.post(f"/v1/clients/{client_id}/key/revoke", headers=desk)
    assert revoked.status_code == 200, revoked.text
    assert status(shop_key) == 401  # at once on the worker that revoked it
    again = client.post(f"/v1/clients/{client_id}/key/revoke", headers=desk)
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_change"
    assert client.post("/v1/clients/nobody/key/revoke", headers=desk).status_code == 404

    rotated = client.post(f"/v1/clients/{client_id}/key/rotate", headers=desk)
    assert rotated.status_code == 201, rotated.text
    new_key = rotated.json()["api_key"]
    assert status(new_key) == 200 and status(shop_key) == 401

    acts = [e for e in _log(client, desk) if e["type"] in ("ClientKeyRevoked", "ClientKeyRotated")]
    assert [e["type"] for e in acts] == ["ClientKeyRevoked", "ClientKeyRotated"]
    assert all(e["actor"] == {"kind": "dispatcher", "id": me} and e["payload"]["client_id"] == client_id for e in acts)
    assert all(shop_key not in json.dumps(e) and new_key not in json.dumps(e) for e in acts)


def test_a_deactivated_courier_gets_no_work_and_no_socket_and_keeps_their_history(setup: Setup) -> None:
    client, world, desk, store = setup
    aino, aino_login, aino_password = world.couriers["Aino"]
    now = datetime.now(UTC)
    for courier_id, _, _ in world.couriers.values():
        commands.start_shift(store, world.coop_id, courier_id, at=now)
    job = client.post("/v1/deliveries", json=delivery_body(), headers={"Authorization": f"Bearer {world.client_key}"})
    job_id = job.json()["id"]
    given = client.post(
        f"/v1/jobs/{job_id}/decisions",
        json={"action": "override", "courier_id": aino, "reason": "nearest"},
        headers=desk,
    )
    assert given.status_code == 200, given.text
    token = client.post(
        "/v1/auth/login", json={"cooperative_id": world.coop_id, "login": aino_login, "password": aino_password}
    ).json()["token"]

    with client.websocket_connect("/v1/courier/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "token": token}))
        assert ws.receive_json()["type"] == "welcome"
        refused = client.post(f"/v1/couriers/{aino}/deactivate", json={}, headers=desk)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "reason"
        gone = client.post(f"/v1/couriers/{aino}/deactivate", json={"reason": "moved to Tampere"}, headers=desk)
        assert gone.status_code == 200, gone.text
        assert gone.json()["returned"] == [job_id] and gone.json()["shift_ended"] is True
        seen = []
        while True:  # what the courier still sees: their job taken back, then the end of the session
            message = ws.receive_json()
            seen.append(message)
            if message["type"] == "error":
                break
        assert message["code"] == "session_ended", seen
        assert not any(m.get("data", {}).get("type") == "CourierDeactivated" for m in seen)

    assert client.get("/v1/courier/jobs", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    login = {"cooperative_id": world.coop_id, "login": aino_login, "password": aino_password}
    assert client.post("/v1/auth/login", json=login).status_code == 401
    again = client.post(f"/v1/couriers/{aino}/deactivate", json={"reason": "twice"}, headers=desk)
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_change"

    # the job is open again and the planner proposes it to someone else
    assert client.get(f"/v1/jobs/{job_id}", headers=desk).json()["state"] == "unassigned"
    assert client.post("/v1/planning/rounds?wait=true", headers=desk).status_code == 200
    proposal = client.get(f"/v1/jobs/{job_id}", headers=desk).json()["proposal"]
    assert proposal is not None and proposal["courier_id"] != aino
    # history stays: listed as inactive, their acts in the log
    listed = {c["id"]: c for c in client.get("/v1/couriers", headers=desk).json()["couriers"]}
    assert listed[aino]["active"] is False
    log = _log(client, desk)
    assert any(e["type"] == "JobOverridden" and e["payload"]["courier_id"] == aino for e in log)
    [act] = [e for e in log if e["type"] == "CourierDeactivated"]
    assert act["actor"]["kind"] == "dispatcher" and act["payload"] == {"courier_id": aino, "reason": "moved to Tampere"}

    back = client.post(f"/v1/couriers/{aino}/reactivate", headers=desk)
    assert back.status_code == 200, back.text
    assert client.post(f"/v1/couriers/{aino}/reactivate", headers=desk).status_code == 409
    assert client.post("/v1/auth/login", json=login).status_code == 200
    assert [e["type"] for e in _log(client, desk)][-1] == "CourierReactivated"


def test_the_members_change_the_fairness_weight_the_riding_budget_and_the_tariff(setup: Setup) -> None:
    client, world, desk, _ = setup
    shop = {"Authorization": f"Bearer {world.client_key}"}
    before = client.get("/v1/cooperative/settings", headers=desk).json()
    assert before["fairness_weight"] == 0.5 and before["fairness_riding_budget"] is None
    assert before["tariff"]["currency"] == "EUR"

    changed = client.patch(
        "/v1/cooperative/settings",
        json={
            "fairness_weight": 2,
            "fairness_riding_budget": 0.1,
            "tariff": {"currency": "CHF", "base_cents": 800, "distance_bands_km": [[3, 0], [None, 500]]},
        },
        headers=desk,
    )
    assert changed.status_code == 200, changed.text
    now = changed.json()
    assert now["changed"] == ["fairness_riding_budget", "fairness_weight", "tariff"]
    assert now["fairness_weight"] == 2 and now["fairness_riding_budget"] == 0.1
    assert now["tariff"]["express_percent"] == before["tariff"]["express_percent"]  # what was left out stays
    quote = client.post("/v1/quotes", json=delivery_body(), headers=shop).json()["quote"]
    assert quote["currency"] == "CHF" and quote["lines"][0] == {
        "code": "quote_base",
        "params": {},
        "amount_cents": 800,
        "label": "base fare",
    }

    # nothing to change records nothing; null lifts the budget
    assert client.patch("/v1/cooperative/settings", json={"fairness_weight": 2}, headers=desk).json()["seq"] is None
    lifted = client.patch("/v1/cooperative/settings", json={"fairness_riding_budget": None}, headers=desk).json()
    assert lifted["fairness_riding_budget"] is None and lifted["changed"] == ["fairness_riding_budget"]

    for bad, field in (
        ({"tariff": {"distance_bands_km": [[5, 0], [2, 100], [None, 9]]}}, "tariff.distance_bands_km"),
        ({"tariff": {"weight_bands_kg": [[5, 0]]}}, "tariff.weight_bands_kg"),
        ({"tariff": {"currency": "euro"}}, "tariff.currency"),
        ({"fairness_weight": -1}, "fairness_weight"),
        ({"fairness_riding_budget": 2}, "fairness_riding_budget"),
        ({"fairness_weight": None}, "fairness_weight"),
        ({"colour": "red"}, "colour"),
    ):
        r = client.patch("/v1/cooperative/settings", json=bad, headers=desk)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["field"] == field, (bad, r.json())
    assert client.get("/v1/cooperative/settings", headers=desk).json()["tariff"]["currency"] == "CHF"

    [first, second] = [e for e in _log(client, desk) if e["type"] == "CooperativeSettingsChanged"]
    assert first["actor"]["kind"] == "dispatcher"
    assert first["payload"]["changes"]["fairness_weight"] == {"from": 0.5, "to": 2.0}
    assert first["payload"]["changes"]["tariff"]["from"]["currency"] == "EUR"
    assert second["payload"]["changes"] == {"fairness_riding_budget": {"from": 0.1, "to": None}}
    assert client.patch("/v1/cooperative/settings", json={"fairness_weight": 1}, headers=shop).status_code == 403


def test_a_revoked_member_is_logged_out_at_once_refused_with_the_reason_and_reinstated_by_a_reset(
    setup: Setup,
) -> None:
    client, world, desk, store = setup
    _, password = store.add_member(world.coop_id, Role.DISPATCHER, "Leaving", "leaving-desk")
    _, analyst_password = store.add_member(world.coop_id, Role.ANALYST, "Counting", "counting")

    def log_in(login: str, secret: str) -> Any:
        return client.post("/v1/auth/login", json={"cooperative_id": world.coop_id, "login": login, "password": secret})

    token = log_in("leaving-desk", password).json()["token"]
    analyst = {"Authorization": f"Bearer {log_in('counting', analyst_password).json()['token']}"}
    with client.websocket_connect("/v1/console/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "token": token}))
        assert ws.receive_json()["type"] == "welcome"
        revoked = client.post("/v1/members/revoke-login", json={"login": "leaving-desk"}, headers=desk)
        assert revoked.status_code == 200, revoked.text
        started, seen = time.monotonic(), list[dict[str, Any]]()
        while not seen or seen[-1]["type"] != "error":
            seen.append(ws.receive_json())
        assert seen[-1]["code"] == "session_ended" and time.monotonic() - started <= 1.0, seen
    assert client.get("/v1/console/state", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    refused = log_in("leaving-desk", password)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "login_revoked", refused.text
    assert "password reset" in refused.json()["error"]["message"]
    wrong = log_in("leaving-desk", "not-the-password")  # a guesser learns nothing
    assert wrong.json()["error"]["code"] == "login_failed"

    again = client.post("/v1/members/revoke-login", json={"login": "leaving-desk"}, headers=desk)
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_change"
    assert client.post("/v1/members/revoke-login", json={"login": "nobody"}, headers=desk).status_code == 404
    self_revoke = client.post("/v1/members/revoke-login", json={"login": world.dispatcher_login}, headers=desk)
    assert self_revoke.status_code == 422 and self_revoke.json()["error"]["field"] == "login"
    assert client.post("/v1/members/revoke-login", json={"login": "x"}, headers=analyst).status_code == 403

    reset = client.post("/v1/members/reset-password", json={"login": "leaving-desk"}, headers=desk)
    assert reset.status_code == 201, reset.text
    assert log_in("leaving-desk", password).status_code == 401
    assert log_in("leaving-desk", reset.json()["password"]).status_code == 200
    acts = [e for e in _log(client, desk) if e["type"] in ("MemberLoginRevoked", "MemberPasswordReset")]
    assert [e["type"] for e in acts] == ["MemberLoginRevoked", "MemberPasswordReset"]
    assert all(e["payload"]["member_id"] == revoked.json()["member_id"] for e in acts)
    assert all(password not in json.dumps(e) and reset.json()["password"] not in json.dumps(e) for e in acts)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_url(request.param, tmp_path, "tandem_lifecycle")


def test_tandem_admin_does_the_same_and_says_it_in_json(database: str) -> None:
    url = database
    world = make_world(url)
    store = Store.open(url)
    runner = CliRunner()
    client_id, aino = _client_id(store, world.client_key), world.couriers["Aino"][0]

    def admin(*args: str) -> dict[str, Any]:
        result = runner.invoke(cli, ["admin", *args, "--coop", world.coop_id, "--database", url, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    assert admin("revoke-key", "--client", client_id)["revoked"] is True
    assert store.client_by_api_key(world.client_key) is None
    new_key = admin("rotate-key", "--client", client_id)["api_key"]
    assert store.client_by_api_key(new_key) is not None
    assert admin("deactivate-courier", "--courier", aino, "--reason", "added by mistake")["active"] is False
    assert not store.courier(world.coop_id, aino).active
    assert admin("reactivate-courier", "--courier", aino)["active"] is True
    shown = admin("settings")
    assert shown["changed"] == [] and shown["tariff"]["currency"] == "EUR"
    done = admin("settings", "--fairness-weight", "1.5", "--riding-budget", "0.05", "--currency", "SEK",
                 "--weight-bands", "10:0,inf:400")  # fmt: skip
    assert done["changed"] == ["fairness_riding_budget", "fairness_weight", "tariff"]
    assert done["tariff"]["weight_bands_kg"] == [[10.0, 0], [None, 400]]
    coop = store.cooperative(world.coop_id)
    assert coop.fairness_weight == 1.5 and coop.settings["fairness_riding_budget"] == 0.05

    acts = [e for e in store.events(world.coop_id) if e.actor.kind.value == "admin"]
    assert [e.type.value for e in acts] == [
        "ClientKeyRevoked",
        "ClientKeyRotated",
        "CourierDeactivated",
        "CourierReactivated",
        "CooperativeSettingsChanged",
    ]
    assert all(str(e.actor.id).startswith("cli:") for e in acts)
    _, desk_password = store.add_member(world.coop_id, Role.ANALYST, "Leaving", "leaving")
    assert admin("revoke-login", "--login", "leaving")["revoked"] is True
    with pytest.raises(LoginRevoked):
        log_in(store, world.coop_id, "leaving", desk_password)
    new_password = admin("reset-password", "--login", "leaving")["password"]
    assert log_in(store, world.coop_id, "leaving", new_password)[1].role == "analyst"
    acts += [e for e in store.events(world.coop_id) if e.type.value.startswith("Member")]
    # refusals: a sentence on stderr, exit code 2, nothing recorded
    for args in (
        ["reactivate-courier", "--courier", aino],
        ["revoke-login", "--login", "nobody"],
        ["revoke-key", "--client", "nobody"],
        ["settings", "--distance-bands", "5:0,2:100,inf:9"],
        ["settings", "--riding-budget", "0.1", "--no-riding-budget"],
    ):
        result = runner.invoke(cli, ["admin", *args, "--coop", world.coop_id, "--database", url])
        assert result.exit_code == 2 and "error:" in result.stderr and "Traceback" not in result.output, args
    assert len([e for e in store.events(world.coop_id) if e.actor.kind.value == "admin"]) == len(acts)
    store.close()


# ---------------------------------------------------------------- the outside attack's leftovers


def test_a_key_act_refuses_a_body_field_it_does_not_know_by_its_name(setup: Setup) -> None:
    client, world, desk, store = setup
    shop, _ = store.add_client(world.coop_id, "Kirjakauppa")
    for act in ("rotate", "revoke"):
        r = client.post(f"/v1/clients/{shop.id}/key/{act}", json={"expires_in": 3600}, headers=desk)
        assert r.status_code == 422 and r.json()["error"]["field"] == "expires_in", (act, r.text)
    assert client.post(f"/v1/clients/{shop.id}/key/rotate", headers=desk).status_code == 201  # no body: as before
    assert client.post(f"/v1/clients/{shop.id}/key/rotate", json={}, headers=desk).status_code == 201
    aino = world.couriers["Aino"][0]
    r = client.post(f"/v1/couriers/{aino}/reactivate", json={"force": True}, headers=desk)
    assert r.status_code == 422 and r.json()["error"]["field"] == "force", r.text


def test_every_act_declares_its_body_so_that_an_unknown_field_is_refused(setup: Setup) -> None:
    client, _, desk, _ = setup
    spec = client.get("/openapi.json").json()
    acts = [(m, p, op) for p, ops in spec["paths"].items() for m, op in ops.items() if m in ("post", "patch", "put")]
    assert [(m, p) for m, p, op in acts if "requestBody" not in op] == [], "an act that ignores any body it is sent"
    bodyless = [
        (m, p) for m, p, op in acts if op["requestBody"]["content"]["application/json"]["schema"].get("anyOf", [{}])[0]
        .get("$ref", "").endswith("/NoBodyIn")
    ]  # fmt: skip
    assert ("post", "/v1/auth/logout") in bodyless and ("post", "/v1/planning/rounds") in bodyless
    for method, path in sorted(bodyless, key=lambda mp: mp[1] == "/v1/auth/logout"):  # logging out last
        r = client.request(method, path.format(client_id="x", courier_id="x"), json={"surprise": 1}, headers=desk)
        assert r.status_code == 422 and r.json()["error"]["field"] == "surprise", (path, r.text)
    assert client.get("/v1/console/state", headers=desk).status_code == 200  # the refused logout logged nobody out


def test_a_truncated_json_body_is_answered_with_line_and_column(setup: Setup) -> None:
    client, world, _, _ = setup
    shop = {"Authorization": f"Bearer {world.client_key}", "Content-Type": "application/json"}
    r = client.post("/v1/deliveries", content=b'{"pickup": {"lat": 60.1,\n  "lon"', headers=shop)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == "body" and "line 2 column 8" in error["message"], error
    assert "32" not in error["message"], "a bare offset means nothing to the client"


def test_accept_all_names_a_refused_job_by_its_places_never_its_id(setup: Setup) -> None:
    client, world, desk, store = setup
    shop = {"Authorization": f"Bearer {world.client_key}"}
    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    commands.cancel_job(store, world.coop_id, job, by=Actor(ActorKind.CLIENT, "x"), at=datetime.now(UTC))
    answer = client.post("/v1/decisions/accept-all", json={"jobs": [job]}, headers=desk).json()
    refused = answer["results"][0]
    assert not refused["ok"] and job not in refused["message"], refused
    request = store.job(world.coop_id, job).request
    assert request["pickup"]["address"] in refused["message"], refused

"""A cooperative's city is said, not guessed (issue 16 review): create-coop says where it took the
city from when no --city named it, and `tandem admin set-city` changes it (recorded in the
cooperative's log), refused while any of its jobs is still to be ridden on the old streets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from dispatch import commands
from dispatch.events import Actor, ActorKind, EventType
from dispatch.store import Store
from dispatch.store.admin_log import admin_acts
from dispatch.store.cooperatives import cooperative_city
from tests.api.test_two_cities import andorra_imported  # noqa: F401  (a data directory with Andorra)
from tests.dispatch.conftest import T0, a_request

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, andorra_imported: Path, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    monkeypatch.setenv("TANDEM_DATA_DIR", str(andorra_imported))
    monkeypatch.delenv("TANDEM_CITY", raising=False)
    return f"sqlite:///{tmp_path / 'cities.db'}"


def admin(url: str, *args: str, code: int = 0) -> str:
    done = runner.invoke(app, ["admin", *args, "--database", url])
    assert done.exit_code == code, done.output
    return " ".join((done.stdout if code == 0 else done.stderr).split())


def city_of(url: str, coop_id: str) -> str:
    store = Store.open(url)
    try:
        with store.engine.connect() as conn:
            return cooperative_city(conn, coop_id)
    finally:
        store.close()


def test_create_coop_says_which_city_it_took_when_no_city_was_given(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    said = admin(url, "create-coop", "Vélo Lille")
    assert "created in helsinki" in said and "the default city: no --city, no TANDEM_CITY" in said
    assert "tandem admin set-city" in said
    made = json.loads(admin(url, "create-coop", "Vélo Andorra", "--json"))
    assert (made["city"], made["city_from"]) == ("helsinki", "default")
    monkeypatch.setenv("TANDEM_CITY", "andorra")
    assert "created in andorra" in admin(url, "create-coop", "Kuriiri") and "from TANDEM_CITY" in admin(
        url, "create-coop", "Kuriiri 2"
    )
    named = admin(url, "create-coop", "Bici", "--city", "andorra")
    assert "created in andorra" in named and "set-city" not in named


def test_set_city_moves_a_cooperative_and_records_who_did_it(url: str) -> None:
    made = json.loads(admin(url, "create-coop", "Vélo Lille", "--json"))
    assert made["city"] == "helsinki"  # the shell had no TANDEM_CITY: the wrong city
    moved = json.loads(admin(url, "set-city", "--coop", "Velo-Lille ", "--city", "andorra", "--json"))
    assert (moved["cooperative_id"], moved["city"], moved["was"]) == (made["id"], "andorra", "helsinki")
    assert city_of(url, made["id"]) == "andorra"
    store = Store.open(url)
    try:
        [act] = admin_acts(store, made["id"])
    finally:
        store.close()
    assert act.type is EventType.COOPERATIVE_SETTINGS_CHANGED and act.seq == moved["seq"]
    assert act.payload == {"changes": {"city": {"from": "helsinki", "to": "andorra"}}}
    assert act.actor.kind is ActorKind.ADMIN and str(act.actor.id).startswith("cli:")

    again = admin(url, "set-city", "--coop", made["id"], "--city", "andorra")
    assert "already serves andorra; nothing changed" in again
    said = admin(url, "set-city", "--coop", made["id"], "--city", "helsinki")
    assert "now serves helsinki (was andorra" in said and "restart" in said
    assert city_of(url, made["id"]) == "helsinki"


def test_set_city_refuses_an_unknown_city_or_cooperative(url: str) -> None:
    made = json.loads(admin(url, "create-coop", "Vélo Lille", "--json"))
    unknown = admin(url, "set-city", "--coop", "velo-lille", "--city", "lille", code=2)
    assert "no city named 'lille'" in unknown and "known: helsinki, andorra" in unknown
    assert "no cooperative with the id or short name 'velo-lyon'" in admin(
        url, "set-city", "--coop", "velo-lyon", "--city", "andorra", code=2
    )
    assert city_of(url, made["id"]) == "helsinki"


def test_set_city_waits_until_the_jobs_on_the_old_streets_are_settled(url: str) -> None:
    made = json.loads(admin(url, "create-coop", "Pyörä Osuuskunta", "--city", "helsinki", "--json"))
    store = Store.open(url)
    try:
        client, _ = store.add_client(made["id"], "Kahvila")
        job = commands.request_job(store, made["id"], client.id, a_request(), at=T0)
        refused = admin(url, "set-city", "--coop", "pyora-osuuskunta", "--city", "andorra", code=2)
        assert "still has 1 job(s) not delivered, failed or cancelled" in refused and "helsinki" in refused
        assert "nothing changed" in refused
        assert city_of(url, made["id"]) == "helsinki" and admin_acts(store, made["id"]) == []
        commands.cancel_job(store, made["id"], job.id, by=Actor(ActorKind.CLIENT, client.id), at=T0)
        assert "now serves andorra" in admin(url, "set-city", "--coop", "pyora-osuuskunta", "--city", "andorra")
        assert city_of(url, made["id"]) == "andorra"
    finally:
        store.close()

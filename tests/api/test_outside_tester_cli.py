"""What an outside tester found in the CLI (findings 3, 5 and 6): a dispatcher's or analyst's
login cannot shadow a courier's, an erased courier stays erased, and a generated week that would
run past the calendar's end is refused with a message, each an exit 2 and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from dispatch.store import Store
from dispatch.store.access import log_in

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'admin.db'}"


def run(*args: str, database: str) -> dict[str, object]:
    result = runner.invoke(app, ["admin", *args, "--database", database, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def refused(*args: str, database: str) -> str:
    result = runner.invoke(app, ["admin", *args, "--database", database])
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


def _coop_and_courier(database: str) -> tuple[str, str, str]:
    coop = str(run("create-coop", "Pyörä", database=database)["id"])
    courier = str(run("add-courier", "--coop", coop, "--name", "Aino", "--vehicle", "bike", database=database)["id"])
    password = str(
        run("courier-login", "--coop", coop, "--courier", courier, "--login", "c2", database=database)["password"]
    )
    return coop, courier, password


def test_a_member_s_login_cannot_shadow_a_courier_s(database: str) -> None:
    coop, courier, password = _coop_and_courier(database)
    for command in ("add-dispatcher", "add-analyst"):
        for login in ("c2", "C2"):  # one that looks the same is the same login to a person
            said = refused(command, "--coop", coop, "--name", "X", "--login", login, database=database)
            assert f"{login} is already taken in this cooperative" in said, said
    store = Store.open(database)
    try:
        _, who, _ = log_in(store, coop, "c2", password)  # the courier still logs in as themself
        assert who.role == "courier" and who.subject_id == courier
    finally:
        store.close()
    run("add-dispatcher", "--coop", coop, "--name", "X", "--login", "desk", database=database)
    said = refused("courier-login", "--coop", coop, "--courier", courier, "--login", "desk", database=database)
    assert "desk is already taken" in said, said


def test_an_erased_courier_stays_erased(database: str) -> None:
    coop, courier, _ = _coop_and_courier(database)
    run("erase-courier", "--coop", coop, "--courier", courier, "--reason", "asked on 2026-12-01", database=database)
    said = refused("reactivate-courier", "--coop", coop, "--courier", courier, database=database)
    assert "an erasure is final" in said, said
    said = refused("courier-login", "--coop", coop, "--courier", courier, "--login", "c3", database=database)
    assert "an erasure is final" in said, said
    store = Store.open(database)
    try:
        assert not store.courier(coop, courier).active
    finally:
        store.close()


def test_a_week_past_the_calendar_s_end_is_refused_with_a_message(tmp_path: Path) -> None:
    out = tmp_path / "w.json"
    args = ["generate-day", str(out), "--week", "--couriers", "3", "--requests", "10", "--start", "9999-12-31T00:00"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "no room" in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()
    for flag in ("--start", "0001-01-01T00:00"), ("--start", "9999-12-31T20:00"):
        day = runner.invoke(app, ["generate-day", str(out), "--requests", "10", *flag])
        assert day.exit_code == 2 and "no room" in day.output, day.output
    helped = " ".join(runner.invoke(app, ["generate-day", "--help"]).output.replace("│", " ").split())
    assert "with --week: each weekday" in helped, helped

"""`tandem admin`: a shell script sets up a cooperative end to end, reading JSON back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from dispatch.store import Store
from dispatch.store.repository import verify_secret
from dispatch.store.schema import MemberRow

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'admin.db'}"


def run(*args: str, database: str) -> dict[str, object]:
    result = runner.invoke(app, ["admin", *args, "--database", database, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_set_up_a_cooperative_end_to_end(database: str) -> None:
    coop = run("create-coop", "Pyörä Osuuskunta", "--heavy-threshold-kg", "30", database=database)
    coop_id = str(coop["id"])
    courier = run(
        "add-courier",
        "--coop",
        coop_id,
        "--name",
        "Aino",
        "--vehicle",
        "e_cargo_bike",
        "--payload-kg",
        "120",
        database=database,
    )
    client = run("add-client", "--coop", coop_id, "--name", "Kahvila", "--solidarity", database=database)
    dispatcher = run("add-dispatcher", "--coop", coop_id, "--name", "Sanna", "--login", "sanna", database=database)
    analyst = run("add-analyst", "--coop", coop_id, "--name", "Olli", "--login", "olli", database=database)

    store = Store.open(database)
    assert store.cooperative(coop_id).heavy_threshold_kg == 30
    [stored] = store.couriers(coop_id)
    assert stored.id == courier["id"] and stored.vehicle.payload_kg == 120 and stored.vehicle.volume_l == 400
    found = store.client_by_api_key(str(client["api_key"]))
    assert found is not None and found.id == client["id"] and found.solidarity
    with store.engine.connect() as conn:
        rows = {r.login: r for r in conn.execute(MemberRow.__table__.select())}
    assert rows["sanna"].role == "dispatcher" and rows["olli"].role == "analyst"
    assert verify_secret(str(dispatcher["password"]), rows["sanna"].secret_hash)
    assert not verify_secret("guess", rows["sanna"].secret_hash)
    assert str(analyst["password"]) not in rows["olli"].secret_hash


def test_a_real_shell_script_can_drive_it(tmp_path: Path) -> None:
    script = tmp_path / "setup.sh"
    script.write_text(
        "set -euo pipefail\n"
        'coop=$("$PY" -m api.cli admin create-coop "Velo Lille" --timezone Europe/Paris --json'
        ' | "$PY" -c \'import json,sys; print(json.load(sys.stdin)["id"])\')\n'
        '"$PY" -m api.cli admin add-courier --coop "$coop" --name Lou --vehicle cargo_bike --json > courier.json\n'
        '"$PY" -m api.cli admin add-client --coop "$coop" --name Boulangerie --json > client.json\n'
        'echo "$coop"\n'
    )
    env = {
        **os.environ,
        "PY": sys.executable,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'script.db'}",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        ["bash", str(script)], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    coop_id = done.stdout.strip().splitlines()[-1]
    assert json.loads((tmp_path / "courier.json").read_text())["cooperative_id"] == coop_id
    assert json.loads((tmp_path / "client.json").read_text())["api_key"].startswith("tdm_")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-coop", "X", "--timezone", "Mars/Base"], "unknown time zone"),
        (["add-courier", "--coop", "nope", "--name", "A"], "no such cooperative"),
        (["add-client", "--coop", "nope", "--name", "A"], "no such cooperative"),
    ],
)
def test_bad_admin_input_gets_a_clear_message(database: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["admin", *args, "--database", database])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_unknown_vehicle_and_taken_login(database: str) -> None:
    coop_id = str(run("create-coop", "C", database=database)["id"])
    bad = runner.invoke(
        app, ["admin", "add-courier", "--coop", coop_id, "--name", "A", "--vehicle", "unicycle", "--database", database]
    )
    assert bad.exit_code == 2 and "vehicle.kind" in bad.stderr
    run("add-dispatcher", "--coop", coop_id, "--name", "S", "--login", "s", database=database)
    again = runner.invoke(
        app, ["admin", "add-dispatcher", "--coop", coop_id, "--name", "T", "--login", "s", "--database", database]
    )
    assert again.exit_code == 2 and "already taken" in again.stderr


def test_an_unreachable_database_is_reported_not_a_traceback() -> None:
    result = runner.invoke(
        app, ["admin", "create-coop", "X", "--database", "postgresql+psycopg://nobody@127.0.0.1:1/x"]
    )
    assert result.exit_code == 2 and "cannot open the database" in result.stderr

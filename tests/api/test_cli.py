"""The `tandem` command line, run in-process through Typer's runner on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.routing.conftest import TINY_TOWN

runner = CliRunner()


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "tandem-data"))


def test_city_info_json_reports_each_profile_of_the_default_city() -> None:
    result = runner.invoke(app, ["city", "info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["city"] == "helsinki"
    bike, cargo, e_cargo = (info["profiles"][p] for p in ("bike", "cargo_bike", "e_cargo_bike"))
    assert bike["nodes"] > cargo["nodes"] > 1000 and bike["edges"] > cargo["edges"]
    assert cargo["subset_of_bike"] and e_cargo["subset_of_bike"]
    # Where the extract has steps and narrow ways the cargo network leaves them out.
    assert bike["steps_edges"] > 0 and cargo["steps_edges"] == 0
    assert bike["narrowest_width_m"] < 1.2 <= cargo["narrowest_width_m"]
    assert 1.0 < bike["area_km2"] < 3.0  # central Helsinki, about 1 x 1.7 km
    lon_min, lat_min, lon_max, lat_max = info["bbox"]
    assert lon_min < 24.95 < lon_max and lat_min < 60.17 < lat_max


def test_city_info_in_a_table_for_people() -> None:
    result = runner.invoke(app, ["city", "info"])
    assert result.exit_code == 0
    assert "helsinki" in result.stdout and "cargo_bike" in result.stdout


def test_import_a_city_file_then_use_it_by_name() -> None:
    imported = runner.invoke(app, ["city", "import", str(TINY_TOWN), "--name", "tiny", "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["city"] == "tiny"
    info = runner.invoke(app, ["city", "info", "--city", "tiny", "--json"])
    assert info.exit_code == 0, info.output
    profiles = json.loads(info.stdout)["profiles"]
    assert profiles["bike"]["nodes"] == profiles["cargo_bike"]["nodes"] == 10
    # Steps (2 arcs), the narrow passage (2) and the no-cargo-bike lane (2) are closed to cargo bikes.
    assert profiles["bike"]["edges"] - profiles["cargo_bike"]["edges"] == 6
    assert profiles["bike"]["steps_edges"] == 2 and profiles["cargo_bike"]["steps_edges"] == 0


def test_city_info_on_a_file_path() -> None:
    result = runner.invoke(app, ["city", "info", "--city", str(TINY_TOWN), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["city"] == "tiny_town"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["city", "info", "--city", "atlantis"], "no city named 'atlantis'"),
        (["city", "info", "--city", "/nowhere/map.osm.pbf"], "no such map file"),
        (["city", "import"], "give either an OSM file or --place"),
        (["city", "import", "--place", "Lille, France"], "--place needs --name"),
        (["city", "import", str(TINY_TOWN), "--name", "Not OK"], "city name"),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_code_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_demo_shows_the_default_city_and_the_cost_of_a_load() -> None:
    result = runner.invoke(app, ["tour"])
    assert result.exit_code == 0, result.output
    assert "Central railway station -> Market Square" in result.stdout
    assert "e_cargo_bike" in result.stdout and "80 kg" in result.stdout
    text = " ".join(result.stdout.split())
    assert "coffee-sacks -> frans" in text and "anvil not proposed: no vehicle on shift can carry 240 kg" in text

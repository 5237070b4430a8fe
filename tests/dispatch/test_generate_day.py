"""Generated days: plausible (lunch peak, parcel mix, fleet sized to demand), in the city's zone, replayable."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from api.cli import app
from dispatch import days
from dispatch.days import city_timezone, generate_day, read_day, service_area
from dispatch.errors import InvalidInput
from dispatch.model import VehicleKind
from dispatch.replay import replay
from dispatch.simulation import Policy
from routing.network import BikeNetwork, open_city
from routing.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[2]
TINY_TOWN = ROOT / "tests" / "routing" / "data" / "tiny_town.osm"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An imported city's cache goes to the test's folder, never the user's."""
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "tandem-data"))


def generate(path: Path, *options: str) -> None:
    result = runner.invoke(app, ["generate-day", str(path), *options])
    assert result.exit_code == 0, result.output


def test_a_generated_day_has_the_citys_zone_and_replays(tmp_path: Path, helsinki: BikeNetwork) -> None:
    path = tmp_path / "day.json"
    generate(path, "--requests", "8", "--hours", "2", "--start", "2026-11-30T11:00")
    day = read_day(path)
    assert day.timezone == "Europe/Helsinki"
    assert day.requests[0].request_time.utcoffset() == ZoneInfo("Europe/Helsinki").utcoffset(datetime(2026, 11, 30))
    result = replay(day, Policy(), helsinki, seed=1)
    assert result.summary["requests"] == 8
    assert result.summary["delivered"] >= 1


def test_a_day_generated_on_an_imported_city_replays(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    generate(path, "--requests", "6", "--hours", "2", "--city", str(TINY_TOWN))
    day = read_day(path)
    ZoneInfo(day.timezone)  # an IANA name, not an offset such as UTC+02:00
    assert day.timezone == "Europe/Helsinki"  # tiny town's grid lies in Helsinki
    result = replay(day, Policy(), open_city(str(TINY_TOWN)), seed=1)
    assert result.summary["delivered"] >= 1


def test_the_zone_comes_from_the_citys_coordinates() -> None:
    assert city_timezone([(1.52, 42.51), (1.53, 42.50)]) == "Europe/Andorra"
    assert city_timezone([(2.35, 48.86)]) == "Europe/Paris"


def test_without_a_zone_the_generator_asks_for_one(
    points: list[tuple[float, float]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(days, "city_timezone", lambda _points: None)
    with pytest.raises(InvalidInput, match="--timezone"):
        generate_day(points, start=datetime(2026, 11, 30, 9), requests=5)
    day = generate_day(points, start=datetime(2026, 11, 30, 9), requests=5, timezone="Europe/Tallinn")
    assert day.timezone == "Europe/Tallinn"
    result = runner.invoke(
        app, ["generate-day", str(tmp_path / "x.json"), "--requests", "5", "--timezone", "Mars/Base"]
    )
    assert result.exit_code == 2 and "time zone" in result.output


def test_the_fleet_is_sized_to_the_demand(points: list[tuple[float, float]]) -> None:
    start = datetime(2026, 11, 30, 9)
    fleets = [len(generate_day(points, start=start, requests=n, seed=3).couriers) for n in (40, 120, 300)]
    assert fleets[0] < fleets[1] < fleets[2]
    assert 8 <= fleets[1] <= 14  # about what the day benchmark runs 120 requests with
    assert len(generate_day(points, start=start, requests=120, couriers=5, seed=3).couriers) == 5


def test_a_generated_day_is_plausible(points: list[tuple[float, float]]) -> None:
    day = generate_day(points, start=datetime(2026, 11, 30, 9), hours=8, requests=300, seed=7)
    # a lunch peak: requests denser between 11:30 and 13:30 than over the rest of the day
    lunch = [r for r in day.requests if 11 * 60 + 30 <= r.request_time.hour * 60 + r.request_time.minute < 13 * 60 + 30]
    other_hours = 7.0 - 2.0  # requests come until an hour before the end of the day
    assert len(lunch) / 2.0 > 1.5 * (len(day.requests) - len(lunch)) / other_hours
    # a parcel mix: mostly light, 6-10 % heavy (40-120 kg), each fitting some vehicle of the fleet
    weights = [r.request.weight_kg for r in day.requests]
    heavy = [w for w in weights if w >= 40]
    assert 0.06 <= len(heavy) / len(weights) <= 0.10 and all(w <= 120 for w in heavy)
    assert sum(w < 8 for w in weights) > len(weights) / 2
    limits = [PROFILES[c.vehicle.profile] for c in day.couriers]
    for r in day.requests:
        q = r.request
        assert q.volume_l > 0 and q.volume_l / q.weight_kg <= 4.0 + 1 / q.weight_kg
        assert any(v.payload_kg >= q.weight_kg and v.volume_l >= q.volume_l for v in limits)
        assert q.pickup_window.end >= q.pickup_window.start >= r.request_time
    # mixed vehicles; shifts of different lengths and starts that cover the whole day
    assert {c.vehicle for c in day.couriers} == {VehicleKind.BIKE, VehicleKind.CARGO_BIKE, VehicleKind.E_CARGO_BIKE}
    assert len({c.shift_end - c.shift_start for c in day.couriers}) >= 3
    assert len({c.shift_start for c in day.couriers}) >= 3
    begin, end = min(c.shift_start for c in day.couriers), max(c.shift_end for c in day.couriers)
    assert end - begin == timedelta(hours=8)
    t = begin
    while t < end:
        assert any(c.shift_start <= t < c.shift_end for c in day.couriers if c.vehicle is VehicleKind.E_CARGO_BIKE)
        t += timedelta(minutes=15)


def test_the_same_seed_writes_the_same_file(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    for path, seed in ((a, "4"), (b, "4"), (c, "5")):
        generate(path, "--requests", "30", "--seed", seed)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    csv_a, csv_b = tmp_path / "a.csv", tmp_path / "b.csv"
    generate(csv_a, "--requests", "10", "--seed", "4")
    generate(csv_b, "--requests", "10", "--seed", "4")
    assert csv_a.read_bytes() == csv_b.read_bytes()
    assert read_day(csv_a, fleet=tmp_path / "a-fleet.json").timezone == "Europe/Helsinki"


def test_replay_takes_a_riding_budget(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    generate(path, "--requests", "4", "--hours", "1", "--city", str(TINY_TOWN))
    metrics = tmp_path / "figures.csv"
    options = ["--fairness", "1", "--riding-budget", "0.05", "--metrics", str(metrics)]
    result = runner.invoke(app, ["replay", str(path), "--city", str(TINY_TOWN), *options])
    assert result.exit_code == 0, result.output
    assert "riding budget +5%" in metrics.read_text()
    result = runner.invoke(app, ["replay", str(path), "--city", str(TINY_TOWN), "--riding-budget", "lots"])
    assert result.exit_code == 2 and "--riding-budget" in result.output


def test_places_lie_in_a_town_sized_area_around_the_busiest_streets() -> None:
    # two towns 20 km apart, the second with more streets: the day is the second's
    west = [(1.40 + 0.001 * i, 42.50) for i in range(10)]
    east = [(1.65 + 0.001 * i, 42.50 + 0.0005 * j) for i in range(10) for j in range(3)]
    area = service_area(west + east, 1.5)
    assert set(area) == set(east)
    assert service_area(west + east, 50) == west + east

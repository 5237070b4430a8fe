"""Replays: day files, the simulated day on the real code paths, metrics, reports, sweeps."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from dispatch.days import Day, Happened, read_day
from dispatch.errors import InvalidInput
from dispatch.replay import day_from_log, replay
from dispatch.report import export_metrics, html_report
from dispatch.simulation import Policy, run_day
from dispatch.store import Store
from routing.network import BikeNetwork, open_city

ROOT = Path(__file__).resolve().parents[2]
DAY_JSON = ROOT / "data" / "demo_day.json"
DAY_CSV = ROOT / "data" / "demo_day.csv"
FLEET = ROOT / "data" / "demo_day-fleet.json"
runner = CliRunner()


@pytest.fixture(scope="module")
def network() -> BikeNetwork:
    return open_city(None)


def small(day: Day, n: int = 6) -> Day:
    return dataclasses.replace(day, requests=day.requests[:n])


def test_the_demo_day_reads_the_same_from_json_and_csv() -> None:
    a, b = read_day(DAY_JSON), read_day(DAY_CSV, fleet=FLEET)
    assert len(a.requests) == len(b.requests) == 40
    assert [r.request.to_json() for r in a.requests] == [r.request.to_json() for r in b.requests]
    assert [c.id for c in a.couriers] == [c.id for c in b.couriers]


@pytest.mark.parametrize(
    ("content", "suffix", "field"),
    [
        ("{not json", ".json", "file"),
        (json.dumps({"couriers": [], "requests": []}), ".json", "couriers"),
        ("id,request_time\nr1,2026-11-28T10:00:00+02:00\n", ".csv", "columns"),
        ("just text", ".txt", "file"),
    ],
)
def test_bad_day_files_are_refused_with_the_place_of_the_fault(
    tmp_path: Path, content: str, suffix: str, field: str
) -> None:
    path = tmp_path / f"day{suffix}"
    path.write_text(content)
    with pytest.raises(InvalidInput) as caught:
        read_day(path, fleet=FLEET if suffix == ".csv" else None)
    assert caught.value.field == field


def test_a_bad_row_names_its_line(tmp_path: Path) -> None:
    lines = DAY_CSV.read_text().splitlines()
    lines[3] = lines[3].replace("+02:00", "", 1)  # a request time without a zone
    path = tmp_path / "day.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(InvalidInput) as caught:
        read_day(path, fleet=FLEET)
    assert caught.value.field.startswith("line 4")


def test_a_replayed_day_delivers_everything_and_measures_it(network: BikeNetwork) -> None:
    day = small(read_day(DAY_JSON))
    result = replay(day, Policy(budget_s=0.2), network, seed=3)
    s = result.summary
    assert s["requests"] == 6 and s["delivered"] == 6 and s["not_delivered"] == 0
    assert 0 <= s["on_time_rate"] <= 1 and s["km"] > 0 and s["riding_min"] > 0
    assert s["proposals_accepted_rate"] == 1.0 and s["override_rate"] == 0.0
    assert sum(c["worked_min"] for c in result.couriers) > 0
    assert len(result.jobs) == 6 and all(j["picked_up_at"] < j["delivered_at"] for j in result.jobs)
    overridden = replay(day, Policy(budget_s=0.2, override_rate=1.0), network, seed=3)
    assert overridden.summary["override_rate"] > 0.5


def test_as_happened_re_applies_what_people_decided(network: BikeNetwork, tmp_path: Path) -> None:
    day = small(read_day(DAY_JSON), 4)
    recorded = ["veera", "mikko", "veera", "lotta"]
    day = dataclasses.replace(
        day,
        requests=tuple(
            dataclasses.replace(r, happened=Happened(courier=c)) for r, c in zip(day.requests, recorded, strict=True)
        ),
    )
    store = Store.open(f"sqlite:///{tmp_path / 'r.db'}")
    coop, record = run_day(store, network, day, Policy(name="as-happened", budget_s=0.2), seed=1)
    names = {c.id: c.display_name.lower() for c in store.couriers(coop)}
    carried = {r.id: names[store.job(coop, record.job_ids[r.id]).courier_id or ""] for r in day.requests}
    assert [carried[r.id] for r in day.requests] == recorded
    again = day_from_log(store, coop)
    assert len(again.requests) == 4
    assert [names.get(r.happened.courier or "", "") for r in again.requests] == recorded
    store.close()


def test_report_and_metrics_files(network: BikeNetwork, tmp_path: Path) -> None:
    day = small(read_day(DAY_JSON), 4)
    results = [replay(day, Policy(budget_s=0.2, fairness_weight=w), network, seed=1) for w in (0.0, 1.0)]
    page = html_report(results, network=network)
    assert page.count("<img") == 8 and "Side by side" in page and "fairness 1" in page
    for suffix in (".csv", ".parquet"):
        written = export_metrics(results, tmp_path / f"m{suffix}")
        frames = [pd.read_csv(p) if suffix == ".csv" else pd.read_parquet(p) for p in written]
        assert len(frames[0]) == 2 and {"on_time_rate", "worked_gini"} <= set(frames[0].columns)
        assert len(frames[1]) == 2 * len(day.couriers)


def test_replay_and_sweep_from_the_command_line(tmp_path: Path) -> None:
    day = read_day(DAY_JSON)
    folder = tmp_path / "days"
    folder.mkdir()
    from dispatch.days import day_json

    for i in range(2):
        part = dataclasses.replace(day, name=f"d{i}", requests=day.requests[i * 3 : i * 3 + 3])
        (folder / f"d{i}.json").write_text(json.dumps(day_json(part)))
    result = runner.invoke(
        app, ["replay", str(folder / "d0.json"), "--budget", "0.2", "--metrics", str(tmp_path / "one.csv")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "one.csv").is_file() and "on_time_rate" in result.stdout
    report = tmp_path / "sweep.html"
    result = runner.invoke(
        app, ["sweep", str(folder), "--fairness", "0,1", "--budget", "0.2", "--report", str(report), "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert report.read_text().count("<img") == 16  # 2 days x 2 weights x 4 plots
    bad = runner.invoke(app, ["replay", str(tmp_path / "missing.json")])
    assert bad.exit_code == 2 and "cannot read" in " ".join(bad.stderr.split())
    bad = runner.invoke(app, ["replay", str(folder / "d0.json"), "--policy", "random"])
    assert bad.exit_code == 2 and "unknown policy" in bad.stderr


def test_the_same_day_and_seed_replay_to_identical_figures(network: BikeNetwork) -> None:
    day = small(read_day(DAY_JSON), 8)
    a, b = (replay(day, Policy(budget_s=0.2), network, seed=11) for _ in range(2))
    assert a.summary == b.summary and a.couriers == b.couriers and a.lateness_minutes == b.lateness_minutes
    strip = [{k: v for k, v in j.items() if k != "job"} for j in a.jobs]
    assert strip == [{k: v for k, v in j.items() if k != "job"} for j in b.jobs]
    other = replay(day, Policy(budget_s=0.2), network, seed=12)
    assert other.jobs != a.jobs  # the seed matters: riding times differ


def test_the_report_plots_are_real_pictures(network: BikeNetwork) -> None:
    """Each embedded PNG decodes, has a sensible size and is not a blank canvas."""
    import base64
    import io
    import re

    from PIL import Image

    result = replay(small(read_day(DAY_JSON), 6), Policy(budget_s=0.2), network, seed=2)
    page = html_report([result], network=network)
    pngs = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(pngs) == 4
    for data in pngs:
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("L")
        assert image.width >= 300 and image.height >= 150
        histogram = image.histogram()  # 256 counts of grey levels
        levels = [level for level, count in enumerate(histogram) if count]
        assert max(levels) - min(levels) > 100  # ink on the page
        assert len(levels) > 8  # more than a frame: bars, lines, labels

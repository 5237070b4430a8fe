"""`tandem plan` on the demo files: proposals with reasons, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()
DATA = Path(__file__).resolve().parents[2] / "data"
ARGS = ["plan", "--jobs", str(DATA / "demo_jobs.json"), "--couriers", str(DATA / "demo_couriers.json")]


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "tandem-data"))


def test_plan_the_demo_day_as_json() -> None:
    result = runner.invoke(app, [*ARGS, "--fairness", "1", "--budget", "1", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    served = {stop["job"]: cid for cid, stops in plan["routes"].items() for stop in stops}
    assert {j: why["text"] for j, why in plan["unassigned"].items()} == {
        "anvil": "no vehicle on shift can carry 240 kg"
    }
    assert plan["unassigned"]["anvil"]["code"] == "too_heavy"
    assert served["coffee-sacks"] == "frans"  # 60 kg: the cargo courier with no heavy load yet today
    assert served["piano-stool"] in {"veera", "frans"}  # 150 cm: only cargo bikes
    reasons = " ".join(r["text"] for r in plan["explanations"]["coffee-sacks"]["reasons"])
    assert "fewest heavy kilograms today (0 kg)" in reasons
    for stops in plan["routes"].values():
        etas = [s["eta"] for s in stops]
        assert etas == sorted(etas) and all(s["late_minutes"] == 0 for s in stops)
    assert plan["solver"]["eta_error_s"]["max_abs"] >= 0


def test_plan_for_people() -> None:
    result = runner.invoke(app, [*ARGS, "--budget", "0.5"])
    assert result.exit_code == 0, result.output
    assert "anvil not proposed: no vehicle on shift can carry 240 kg" in " ".join(result.stdout.split())


def test_bad_plan_input(tmp_path: Path) -> None:
    broken = tmp_path / "jobs.json"
    broken.write_text('[{"id": "x", "pickup": {"lon": 24.94, "lat": 60.17}}]')
    result = runner.invoke(app, ["plan", "--jobs", str(broken), "--couriers", str(DATA / "demo_couriers.json")])
    assert result.exit_code == 2 and "job #0 (x)" in result.stderr
    broken.write_text("{not json")
    result = runner.invoke(app, ["plan", "--jobs", str(broken), "--couriers", str(DATA / "demo_couriers.json")])
    assert result.exit_code == 2 and "cannot read the jobs" in result.stderr
    result = runner.invoke(app, [*ARGS, "--budget", "0"])
    assert result.exit_code == 2

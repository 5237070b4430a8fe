"""A week replayed with its rota proposed from the forecast of the weeks before it (issue 23 item
6), as the cooperative's rota is: ``generate-day --week --history-weeks N`` writes the earlier
weeks, ``replay --week --demand forecast`` proposes the rota from what ``dispatch.forecast``
expects of them, and the summary says how that rota covered the week's actual requests."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from api.cli import app
from dispatch.days import DayRequest, Happened
from dispatch.errors import InvalidInput
from dispatch.events import EventType
from dispatch.forecast import DEFAULT_JOBS_PER_HOUR
from dispatch.model import TimeWindow
from dispatch.simulation import Policy
from dispatch.week_replay import (
    PastWeek,
    ReplayWeek,
    RotaPolicy,
    forecast_demand,
    forecast_of,
    generate_week,
    history_events,
    replay_week,
    week_from_json,
    week_json,
)
from routing.network import BikeNetwork

MONDAY = date(2026, 12, 7)
runner = CliRunner()


def _mean_per_hour(week: ReplayWeek) -> dict[tuple[int, int], float]:
    """Requests per (weekday, local hour their pickup opens, or of the request if later) over the
    history, divided by its weeks: counted here from the file's days, without the forecast's code."""
    zone, counts = ZoneInfo(week.timezone), dict[tuple[int, int], int]()
    for past in week.history:
        for day in past.days:
            for r in day.requests:
                local = max(r.request_time, r.request.pickup_window.start).astimezone(zone)
                counts[(local.weekday(), local.hour)] = counts.get((local.weekday(), local.hour), 0) + 1
    return {k: n / len(week.history) for k, n in counts.items()}


def test_the_forecast_demand_is_the_per_hour_mean_of_the_history_weeks(points: list[tuple[float, float]]) -> None:
    week = generate_week(points, monday=MONDAY, couriers=3, requests=8, seed=3, history_weeks=3)
    assert [p.monday for p in week.history] == [date(2026, 11, 30), date(2026, 11, 23), date(2026, 11, 16)]
    # the same weekly pattern (requests per weekday), drawn again for each week
    weeks = [week.days, *(p.days for p in week.history)]
    counts = [[len(d.requests) for d in days] for days in weeks]
    assert all(c == counts[0] for c in counts), counts
    times = [[r.request_time.time() for d in days for r in d.requests] for days in weeks]
    assert len({tuple(t) for t in times}) == 4, "each week draws its own requests"
    # the history reaches the forecast as the log holds it: one JobRequested per request
    requested = [e for e in history_events(week) if e.type is EventType.JOB_REQUESTED]
    assert len(requested) == sum(sum(c) for c in counts[1:])
    expected = forecast_of(week)
    assert expected.weeks == 3 and expected.pace_from.code == "forecast_pace_assumed"
    mean = _mean_per_hour(week)
    assert {(h.weekday, h.hour): h.jobs for h in expected.hours} == pytest.approx(mean)
    wanted = {k: math.ceil(m / DEFAULT_JOBS_PER_HOUR - 1e-9) for k, m in mean.items() if k[1] in week.span.hours}
    assert forecast_demand(week).couriers == {k: n for k, n in wanted.items() if n}
    assert any(m != int(m) for m in mean.values()), "a mean, not one week's count"


def test_a_history_that_says_what_happened_gives_the_forecast_its_pace(points: list[tuple[float, float]]) -> None:
    """Deliveries in the history (a day read back from a log says who carried each job, when)
    reach the forecast as the log's acknowledgements and deliveries: its pace is the history's."""
    week = generate_week(points, monday=MONDAY, couriers=3, requests=4, seed=4, history_weeks=1)
    past = week.history[0]
    days = tuple(
        replace(
            d,
            requests=tuple(
                replace(
                    r,
                    happened=Happened(
                        "Aino", acknowledged_at=r.request_time, delivered_at=r.request_time + timedelta(minutes=20)
                    ),
                )
                for r in d.requests
            ),
        )
        for d in past.days
    )
    paced = forecast_of(replace(week, history=(replace(past, days=days),)))
    delivered = sum(len(d.requests) for d in days)
    assert paced.pace_from.code == "forecast_pace_seen" and paced.pace_from.params["delivered"] == delivered
    assert paced.jobs_per_courier_hour == pytest.approx(3.0)  # one job each 20 minutes


def _light_week_heavy_history(points: list[tuple[float, float]]) -> ReplayWeek:
    """A quiet week whose three weeks before were busy: the forecast expects far more."""
    quiet = generate_week(points, monday=MONDAY, couriers=6, requests=4, seed=5)
    busy = generate_week(points, monday=MONDAY, couriers=6, requests=24, seed=5, history_weeks=2)
    return replace(quiet, history=busy.history)


def test_the_forecast_demand_changes_the_rota_and_says_what_the_miss_costs(
    points: list[tuple[float, float]], helsinki: BikeNetwork
) -> None:
    week = _light_week_heavy_history(points)
    results = {
        d: replay_week(week, RotaPolicy(time_limit_s=3, demand=d), Policy(), helsinki, simulate=False)
        for d in ("requests", "forecast")
    }
    asked, forecast = results["requests"], results["forecast"]
    assert asked.summary["demand"] == "requests" and forecast.summary["demand"] == "forecast"
    assert forecast.rota_policy == "rota fairness on, forecast demand" and asked.rota_policy == "rota fairness on"
    assert asked.shifts != forecast.shifts
    assert forecast.summary["rostered_h"] > asked.summary["rostered_h"], (asked.summary, forecast.summary)
    # proposed from the week's own requests, the rota covers them as it covers its demand
    assert asked.summary["actual_coverage"] == asked.summary["coverage"]
    assert asked.summary["actual_gap_hours"] == asked.summary["gap_hours"]
    # the other way round: a busy week after quiet ones leaves its actual requests short
    busy = generate_week(points, monday=MONDAY, couriers=6, requests=24, seed=5)
    quiet = generate_week(points, monday=MONDAY, couriers=6, requests=4, seed=5, history_weeks=2)
    missed = replay_week(
        replace(busy, history=quiet.history),
        RotaPolicy(time_limit_s=3, demand="forecast"),
        Policy(),
        helsinki,
        simulate=False,
    )
    assert missed.summary["coverage"] > missed.summary["actual_coverage"], missed.summary
    assert missed.summary["actual_gap_hours"] > 0 and missed.summary["actual_hours_short"] > 0


def test_a_week_without_history_cannot_be_forecast(points: list[tuple[float, float]]) -> None:
    week = generate_week(points, monday=MONDAY, couriers=3, requests=2, seed=2)
    assert week.history == ()
    with pytest.raises(InvalidInput) as refused:
        forecast_demand(week)
    assert refused.value.field == "history"
    with pytest.raises(InvalidInput) as refused:
        RotaPolicy(demand="guess")
    assert refused.value.field == "demand"


def test_a_week_file_keeps_its_history_and_a_bad_one_names_the_field(points: list[tuple[float, float]]) -> None:
    week = generate_week(points, monday=MONDAY, couriers=3, requests=2, seed=2, history_weeks=2)
    data = json.loads(json.dumps(week_json(week)))
    again = week_from_json(data)
    assert [p.monday for p in again.history] == [p.monday for p in week.history]
    assert [[r for d in p.days for r in d.requests] for p in again.history] == [
        [r for d in p.days for r in d.requests] for p in week.history
    ]
    assert forecast_demand(again) == forecast_demand(week)
    older = {k: v for k, v in data.items() if k != "history"}  # a file written before history
    assert week_from_json(older).history == () and "history" not in week_json(week_from_json(older))

    def refused(change: Any) -> InvalidInput:
        broken = json.loads(json.dumps(data))
        change(broken)
        with pytest.raises(InvalidInput) as caught:
            week_from_json(broken)
        return caught.value

    assert refused(lambda d: d.update(history={})).field == "history"
    assert refused(lambda d: d["history"].__setitem__(0, [])).field == "history[0]"
    skipped = refused(lambda d: d["history"][0].update(week="2026-11-23"))
    assert skipped.field == "history[0].week" and skipped.params == {"values": ["2026-11-30"]}
    assert refused(lambda d: d["history"][1].update(week="last week")).field == "history[1].week"
    assert refused(lambda d: d["history"][1]["days"].pop()).field == "history[1].days"
    bad_request = refused(lambda d: d["history"][1]["days"][2]["requests"][0].pop("pickup"))
    assert bad_request.field == "history[1].days[2].requests[0]"


def test_generate_day_writes_history_and_replay_compares_the_demands(tmp_path: Path) -> None:
    path = tmp_path / "week.json"
    base = ["generate-day", str(path), "--week", "--couriers", "4", "--requests", "6", "--start", "2026-12-09T09:00"]
    made = runner.invoke(app, [*base, "--history-weeks", "2"])
    assert made.exit_code == 0, made.output
    assert "history: 2 earlier weeks from 2026-11-23" in made.output
    assert [h["week"] for h in json.loads(path.read_text())["history"]] == ["2026-11-30", "2026-11-23"]
    replay = ["replay", str(path), "--week", "--rota-only", "--rota-seconds", "1"]
    ran = runner.invoke(app, [*replay, "--demand", "requests,forecast"])
    assert ran.exit_code == 0, ran.output
    assert "rota fairness on, forecast demand" in ran.output
    assert "actual_coverage" in ran.output and "forecast" in ran.output
    bad = runner.invoke(app, [*replay, "--demand", "guess"])
    assert bad.exit_code == 2 and "--demand is requests, forecast" in bad.output
    plain = tmp_path / "plain.json"
    assert runner.invoke(app, [*base[:1], str(plain), *base[2:]]).exit_code == 0
    assert "history" not in json.loads(plain.read_text())  # the default writes today's files
    refused = runner.invoke(app, ["replay", str(plain), "--week", "--rota-only", "--demand", "forecast"])
    assert refused.exit_code == 2, refused.output
    assert "--demand forecast needs the weeks before this one" in refused.output
    assert "--history-weeks" in refused.output
    nowhere = runner.invoke(app, ["generate-day", str(tmp_path / "no" / "such" / "week.json"), "--week"])
    assert nowhere.exit_code == 2 and "no folder" in nowhere.output and nowhere.exception is not None
    assert isinstance(nowhere.exception, SystemExit), "a message, not a traceback"
    day_only = runner.invoke(app, ["generate-day", str(tmp_path / "day.json"), "--history-weeks", "1"])
    assert day_only.exit_code == 2 and "add --week" in day_only.output
    for option in (["--demand", "forecast"], ["--rota-seconds", "5"]):
        week_only = runner.invoke(app, ["replay", str(plain), *option])
        assert week_only.exit_code == 2 and "are for a week: add --week" in week_only.output, week_only.output


def test_a_rota_not_found_in_its_seconds_is_a_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine CP-SAT may find no rota in a short --rota-seconds (an outside tester saw
    3 of 6 parallel replays end in a traceback): the analyst is told, in a line, what to do."""
    from dispatch import week_replay
    from routing.rota import RotaError

    path = tmp_path / "week.json"
    made = runner.invoke(app, ["generate-day", str(path), "--week", "--couriers", "3", "--requests", "4"])
    assert made.exit_code == 0, made.output

    found = week_replay.replay_week

    def no_rota_without_fairness(the_week: Any, rota_policy: RotaPolicy, *args: Any, **kwargs: Any) -> Any:
        if not rota_policy.fairness:
            raise RotaError("no rota found within 1 s (UNKNOWN)")
        return found(the_week, rota_policy, *args, **kwargs)

    monkeypatch.setattr(week_replay, "replay_week", no_rota_without_fairness)
    replay = ["replay", str(path), "--week", "--rota-only", "--rota-seconds", "1", "--rota-fairness", "on,off"]
    ran = runner.invoke(app, replay)
    assert ran.exit_code == 2, ran.output
    assert "rota fairness off: no rota found within 1 s" in ran.output and "--rota-seconds" in ran.output
    assert "the week's fairness" in ran.output, "the policy whose rota was found is still shown"
    assert "Traceback" not in ran.output
    assert ran.exception is None or isinstance(ran.exception, SystemExit)


def _a_week_earlier(week: ReplayWeek, minutes_a_job: int) -> PastWeek:
    """The week itself, one week earlier, each job delivered ``minutes_a_job`` after it was
    acknowledged: a history the forecast reads as this very week at that pace."""
    back = timedelta(weeks=1)

    def earlier(r: DayRequest) -> DayRequest:
        asked = r.request
        window = replace(
            asked, pickup_window=TimeWindow(asked.pickup_window.start - back, asked.pickup_window.end - back)
        )
        moved = replace(
            window, dropoff_window=TimeWindow(asked.dropoff_window.start - back, asked.dropoff_window.end - back)
        )
        start = r.request_time - back
        done = Happened("Aino", acknowledged_at=start, delivered_at=start + timedelta(minutes=minutes_a_job))
        return replace(r, request_time=start, request=moved, happened=done)

    days = tuple(replace(d, requests=tuple(earlier(r) for r in d.requests)) for d in week.days)
    return PastWeek(week.monday - back, days)


def test_a_forecast_that_was_right_costs_nothing_whatever_the_pace(
    points: list[tuple[float, float]], helsinki: BikeNetwork
) -> None:
    """The week's actual requests are counted at the pace the forecast saw (here a job each 20
    minutes, 3 an hour), so a history that is the week itself leaves no actual gap where the rota
    covered its demand: the figure says what a forecast miss costs, not a difference of pace."""
    week = generate_week(points, monday=MONDAY, couriers=8, requests=24, seed=6)
    week = replace(week, history=(_a_week_earlier(week, 20),))
    assert forecast_of(week).jobs_per_courier_hour == pytest.approx(3.0)
    result = replay_week(week, RotaPolicy(time_limit_s=5, demand="forecast"), Policy(), helsinki, simulate=False)
    assert result.summary["coverage"] == 1.0, result.summary
    assert result.summary["actual_gap_hours"] == 0 and result.summary["actual_coverage"] == 1.0, result.summary

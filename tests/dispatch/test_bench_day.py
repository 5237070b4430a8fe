"""The day benchmark runs end to end on a tiny day (a smoke test: the full run takes long)."""

from __future__ import annotations

from benchmarks import bench_day


def test_bench_day_quick_runs_and_compares_policies_on_the_same_day() -> None:
    out = bench_day.main(["--quick", "--no-save", "--policies", "off,on,b5"])
    (suite,) = out["cities"]
    (day,) = suite["rows"]
    assert set(day["policies"]) == {"off", "on", "b5"}
    off = day["policies"]["off"]
    assert off["riding_vs_off_pct"] == 0.0
    for key in ("on_time_rate", "worked_gini", "past_shift_min", "request_to_dropoff_mean_min", "cpu_s"):
        assert key in off and key in suite["means"]["on"]
    assert isinstance(off["cargo_heavy_jobs"], dict)

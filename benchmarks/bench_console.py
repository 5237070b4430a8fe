"""The console under a busy day: time from an event on the page's socket to its appearance on screen.

A real server with 200 open jobs and 30 couriers on shift (mixed bikes and cargo bikes), one
planning round so that the jobs carry proposals, then the dispatcher's console in Debian's
Chromium (headless, driven by Playwright). Events arrive while the page is open: new requests
from a client and acceptances by another dispatcher. The page records, for every event, the time
from the message arriving on its socket to the frame after the change is drawn (the job's row
fetched and the lists, lanes, fairness panel and map redrawn): p50, p95, max. Target: p95 <= 300 ms.

    python -m benchmarks.bench_console [--jobs 200] [--couriers 30] [--events 60]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks import results_io
from dispatch import commands
from dispatch.model import Vehicle
from dispatch.store import Store
from routing.matrix import routable_graph
from routing.network import open_city
from tests.api.harness import Server, login, make_world
from tests.console.browser import browser, console_log_in

RESULTS = Path(__file__).parent / "results" / "console.json"


def street_points() -> list[tuple[float, float]]:
    """Points on the default city's bike streets (a random point may fall in the sea or a park)."""
    network = open_city(None)
    graph = routable_graph(network, "bike")
    return [(float(network.lon[n]), float(network.lat[n])) for n in graph.nodes.tolist()]


POINTS: list[tuple[float, float]] = []


def body(rng: random.Random) -> dict[str, Any]:
    now = datetime.now(UTC)
    if not POINTS:
        POINTS.extend(street_points())

    def place() -> dict[str, Any]:
        lon, lat = rng.choice(POINTS)
        return {"lon": lon, "lat": lat, "address": f"{lat:.4f}, {lon:.4f}"}

    return {
        "pickup": place(),
        "dropoff": place(),
        "pickup_window": {"start": now.isoformat(), "end": (now + timedelta(hours=3)).isoformat()},
        "dropoff_window": {"start": now.isoformat(), "end": (now + timedelta(hours=4)).isoformat()},
        "parcels": [{"weight_kg": rng.choice([2, 4, 8, 12, 20]), "volume_l": 10}],
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--couriers", type=int, default=30)
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--no-map", action="store_true", help="open the console without its map (to tell costs apart)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'console.db'}"
        world = make_world(url)
        store = Store.open(url)
        now = datetime.now(UTC)
        for cid, _, _ in world.couriers.values():
            commands.start_shift(store, world.coop_id, cid, at=now)
        for i in range(args.couriers - len(world.couriers)):
            c = store.add_courier(
                world.coop_id, f"Rider {i + 1}", Vehicle.of_kind("cargo_bike" if i % 3 == 0 else "bike")
            )
            commands.start_shift(store, world.coop_id, c.id, at=now)
        store.close()
        # the set-up posts 200 deliveries from one key as fast as it can: no rate limit for it
        server = Server(url, auto_plan="0", planning_budget_s="3", rate_limit_api_key="off").start()
        try:
            key = {"Authorization": f"Bearer {world.client_key}"}
            with httpx.Client(base_url=server.url, timeout=120) as http:
                jobs: list[str] = []
                while len(jobs) < args.jobs:  # a random point off the streets is refused: draw again
                    r = http.post("/v1/deliveries", json=body(rng), headers=key)
                    if r.status_code == 201:
                        jobs.append(r.json()["id"])
                token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
                desk = {"Authorization": f"Bearer {token}"}
                planned = http.post("/v1/planning/rounds?wait=true", headers=desk)
                assert planned.status_code == 200, planned.text
                proposed = [
                    j["id"]
                    for j in http.get("/v1/jobs?state=open", headers=desk).json()["jobs"]
                    if j["state"] == "proposed"
                ]
                with browser() as page:
                    errors: list[str] = []
                    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    query = "?nomap" if args.no_map else ""
                    console_log_in(
                        page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password, query
                    )
                    shown_rows = page.locator(".job").count()
                    started = time.perf_counter()
                    events = 0
                    for i in range(args.events):
                        if i % 2 == 0 or not proposed:
                            r = http.post("/v1/deliveries", json=body(rng), headers=key)
                        else:
                            r = http.post(
                                f"/v1/jobs/{proposed.pop()}/decisions", json={"action": "accept"}, headers=desk
                            )
                        events += r.is_success  # a refused request (a random point off the streets) makes no event
                        time.sleep(0.25)
                    try:
                        page.wait_for_function(f"window.__tandem.shown.length >= {events}", timeout=30_000)
                    except Exception:
                        print("shown only", page.evaluate("window.__tandem.shown.length"), "errors:", errors[-5:])
                        raise
                    shown = page.evaluate("window.__tandem.shown")
                    elapsed = time.perf_counter() - started
        finally:
            server.stop()
    ms = [s["ms"] for s in shown]
    result = {
        "open_jobs": len(jobs),
        "proposed_at_start": len(proposed) + sum(1 for i in range(args.events) if i % 2),
        "rows_on_screen_at_start": shown_rows,
        "couriers": args.couriers,
        "events": len(ms),
        "p50_ms": round(pct(ms, 50), 1),
        "p95_ms": round(pct(ms, 95), 1),
        "max_ms": round(max(ms), 1),
        "seconds": round(elapsed, 1),
    }
    print(f"{'open jobs':>10} {'couriers':>9} {'events':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    o = result
    print(
        f"{o['open_jobs']:>10} {args.couriers:>9} {o['events']:>7} {o['p50_ms']:>8} {o['p95_ms']:>8} {o['max_ms']:>8}"
    )
    name = RESULTS.with_name("console-no-map.json") if args.no_map else RESULTS
    results_io.write(
        name, {"benchmark": "console", "settings": vars(args), "result": result, "target": {"p95_ms": 300}}
    )


if __name__ == "__main__":
    main()

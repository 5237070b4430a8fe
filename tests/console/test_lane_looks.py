"""Every courier of a busy day has a look of their own, and a shared position shows the way to the
first stop (issue 17, item 5), in real Chromium against a real server.

What was wrong: the lanes' colours came from a palette of ten and repeated from the eleventh
courier on (two routes on the map, two lines of the legend, looked the same); and a courier's
shared position stood alone on the map, with nothing from it to the first stop they were riding to.

The day: 26 couriers on shift, each with one job in hand (so each has a planned route); the first
shared their position two minutes ago, the second forty minutes ago (not fresh), the third never.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatch import commands
from dispatch.model import Vehicle
from dispatch.store import Store, positions
from tests.api.harness import Server, World, delivery_body, login, make_world
from tests.console.browser import browser, console_log_in, shot

COURIERS = 26


@dataclass
class Busy:
    server: Server
    world: World
    couriers: list[str]  #: in the order they were added
    positions: dict[str, tuple[float, float]]  #: courier -> the position they shared
    desk: dict[str, str]


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Busy]:
    url = f"sqlite:///{tmp_path_factory.mktemp('looks') / 'tandem.db'}"
    world = make_world(url)
    server = Server(url, planning_budget_s="0.5", auto_plan="0").start()
    try:
        key = {"Authorization": f"Bearer {world.client_key}"}
        jobs = []
        for i in range(COURIERS):  # one job each, spread over the centre
            body = delivery_body()
            body["pickup"]["lon"] += 0.0012 * (i % 6)
            body["pickup"]["lat"] += 0.0008 * (i // 6)
            body["dropoff"]["lat"] -= 0.0007 * (i % 5)
            r = httpx.post(f"{server.url}/v1/deliveries", json=body, headers=key, timeout=30)
            assert r.status_code == 201, r.text
            jobs.append(r.json()["id"])
        now = datetime.now(UTC)
        store = Store.open(url)
        shared: dict[str, tuple[float, float]] = {}
        try:
            coop = world.coop_id
            ids = [world.couriers["Aino"][0], world.couriers["Veera"][0]]
            bike = Vehicle.of_kind("cargo_bike")
            ids += [store.add_courier(coop, f"Rider {i:02d}", bike).id for i in range(2, COURIERS)]
            for courier, job in zip(ids, jobs, strict=True):
                end = now + timedelta(hours=4)
                commands.start_shift(store, coop, courier, at=now - timedelta(hours=1), planned_end=end)
                commands.override(store, coop, job, courier, dispatcher_id="desk", at=now - timedelta(minutes=50))
                commands.acknowledge(store, coop, job, courier_id=courier, at=now - timedelta(minutes=49))
            for courier, job, minutes in ((ids[0], jobs[0], 2), (ids[1], jobs[1], 40)):
                shared[courier] = (24.9380, 60.1730 - 0.001 * minutes / 10)
                positions.record(store, coop, courier, job, *shared[courier], now - timedelta(minutes=minutes))
        finally:
            store.close()
        desk = {"Authorization": f"Bearer {login(server.url, coop, world.dispatcher_login, world.dispatcher_password)}"}
        r = httpx.post(f"{server.url}/v1/planning/rounds?wait=true", headers=desk, timeout=120)
        assert r.status_code == 200 and r.json()["done"], r.text
        assert len(r.json()["plan"]["routes"]) == COURIERS, r.json()["plan"]["routes"].keys()
        yield Busy(server, world, ids, shared, desk)
    finally:
        server.stop()


def open_console(page: Any, b: Busy) -> None:
    console_log_in(page, b.server.url, b.world.coop_id, b.world.dispatcher_login, b.world.dispatcher_password)
    page.wait_for_function(f"document.querySelectorAll('.map-legend li[data-courier-id]').length === {COURIERS}")
    page.wait_for_function("__tandem.map.map.loaded()")


def test_two_dozen_couriers_have_as_many_looks_the_same_on_lane_legend_and_map(busy: Busy) -> None:
    with browser((1440, 900)) as page:
        open_console(page, busy)
        lanes = dict(
            page.eval_on_selector_all(
                ".lane",
                "els => els.map(e => { const s = e.querySelector('svg.swatch'); const l = s.querySelector('line');"
                " return [e.dataset.courierId, [s.dataset.look, l.getAttribute('stroke'),"
                " l.getAttribute('stroke-dasharray') || '']]; })",
            )
        )
        assert set(lanes) == set(busy.couriers)
        # every lane a look of its own: colour and dashes together, never two the same
        assert len({look for look, _, _ in lanes.values()}) == COURIERS, lanes
        assert len({(colour, dash) for _, colour, dash in lanes.values()}) == COURIERS, lanes
        assert len({dash for _, _, dash in lanes.values()}) >= 3  # past ten, dashes tell them apart

        # the legend's line of each courier is their lane's swatch
        legend = page.eval_on_selector_all(
            ".map-legend li[data-courier-id]",
            "els => els.map(e => { const s = e.querySelector('svg'); const l = s.querySelector('line');"
            " return [e.dataset.courierId, [s.dataset.look, l.getAttribute('stroke'),"
            " l.getAttribute('stroke-dasharray') || '']]; })",
        )
        assert dict(legend) == lanes, legend

        # on the map: each route in its courier's colour, drawn by the layer of its dash pattern,
        # whose dashes are the swatch's (in units of the 3 px line)
        drawn = page.evaluate(
            """(() => {
                const m = __tandem.map.map;
                const layers = m.getStyle().layers.filter(l => l.source === 'routes');
                const dashOf = Object.fromEntries(
                    layers.map(l => [l.filter[2], m.getPaintProperty(l.id, 'line-dasharray') || null]));
                const rendered = m.queryRenderedFeatures({ layers: layers.map(l => l.id) });
                return {
                    features: __tandem.map.data.routes.features.map(f => [f.properties.courier_id,
                        f.properties.look, f.properties.colour, dashOf[f.properties.pattern]]),
                    rendered: [...new Set(rendered.map(f => f.properties.courier_id))].length,
                };
            })()"""
        )
        mine: dict[str, set[tuple[str, str, str]]] = {cid: set() for cid in busy.couriers}
        for cid, look, colour, dash in drawn["features"]:
            mine[cid].add((look, colour, " ".join(f"{d * 3:g}" for d in dash or [])))
        for cid, (look, colour, dash) in lanes.items():
            assert mine[cid] == {(look, colour, dash)}, (cid, mine[cid], lanes[cid])
        assert drawn["rendered"] == COURIERS, drawn["rendered"]  # every route on screen, dashed ones too
        page.click(".map-legend summary")  # a long legend opens on a click
        shot(page, "lane-looks-26-couriers")


LANES = (
    "els => els.map(e => { const l = e.querySelector('svg.swatch line');"
    " return [e.dataset.courierId, l.getAttribute('stroke'), l.getAttribute('stroke-dasharray') || '']; })"
)


def _in_zone(page: Any, zone: str, b: Busy) -> list[list[str]]:
    """Log ``page`` in from a browser whose clock is in ``zone``: its lanes, each [courier, colour,
    dashes], in the order shown."""
    page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": zone})
    console_log_in(page, b.server.url, b.world.coop_id, b.world.dispatcher_login, b.world.dispatcher_password, "?nomap")
    page.wait_for_function(f"document.querySelectorAll('.lane svg.swatch').length === {COURIERS}")
    return page.eval_on_selector_all(".lane", LANES)  # type: ignore[no-any-return]


def test_two_screens_in_two_time_zones_show_each_courier_in_one_look_and_lane(busy: Busy) -> None:
    """A look follows the courier's place in the API's rotation of the cooperative's day, and the
    day the lanes keep their order for is the cooperative's. What was wrong: the look was the
    lane's index on this screen, and the kept order's day was the browser's, so a browser on
    another date than Helsinki's (New York before 07:00 Helsinki) kept yesterday's order: its
    lanes and looks differed from a Helsinki screen's, one courier in two colours."""
    b = busy
    today = httpx.get(f"{b.server.url}/v1/ledger", headers=b.desk, timeout=30).json()["day"]
    listed = httpx.get(f"{b.server.url}/v1/couriers", headers=b.desk, timeout=30).json()["couriers"]
    rotation = [c["id"] for c in listed]
    # a zone whose date is not Helsinki's right now (one of the two always is)
    zones = ("Pacific/Kiritimati", "Etc/GMT+12")
    away = next(z for z in zones if datetime.now(ZoneInfo(z)).date().isoformat() != today)
    with browser((1440, 900)) as page:
        helsinki = _in_zone(page, "Europe/Helsinki", b)
        assert page.context.browser is not None
        other = page.context.browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
        try:
            there = other.new_page()
            there.context.new_cdp_session(there).send("Emulation.setTimezoneOverride", {"timezoneId": away})
            there.goto(f"{b.server.url}/console/?nomap")
            # the order this browser kept under its own date (yesterday's rotation, Helsinki's)
            there.evaluate(
                "([coop, ids]) => localStorage.setItem("
                "`tandem.rotation.${coop}.${new Date().toLocaleDateString('en-CA')}`, JSON.stringify(ids))",
                [b.world.coop_id, rotation[::-1]],
            )
            lanes = _in_zone(there, away, b)
            assert [cid for cid, _, _ in helsinki] == rotation
            assert lanes == helsinki, (away, lanes[:3], helsinki[:3])

            # an order kept earlier on the cooperative's day moves the lanes, never a courier's look
            there.evaluate(
                "([key, ids]) => localStorage.setItem(key, JSON.stringify(ids))",
                [f"tandem.rotation.{b.world.coop_id}.{today}", rotation[::-1]],
            )
            there.reload()
            there.wait_for_function(f"document.querySelectorAll('.lane svg.swatch').length === {COURIERS}")
            kept = there.eval_on_selector_all(".lane", LANES)
            assert [cid for cid, _, _ in kept] == rotation[::-1]
            assert sorted(kept) == sorted(helsinki)
        finally:
            other.close()


def test_a_fresh_shared_position_shows_the_way_to_the_first_stop(busy: Busy) -> None:
    fresh, stale, silent = busy.couriers[:3]
    plan = httpx.get(f"{busy.server.url}/v1/plan", headers=busy.desk, timeout=30).json()
    first = plan["routes"][fresh][0]
    job = httpx.get(f"{busy.server.url}/v1/jobs/{first['job_id']}", headers=busy.desk, timeout=30).json()
    stop = job["request"][first["kind"]]
    with browser((1440, 900)) as page:
        open_console(page, busy)
        page.wait_for_selector(f".map-position[data-courier-id='{stale}']")  # both positions are shown...
        page.wait_for_function("(__tandem.map.data.approach?.features || []).length > 0")
        legs = page.evaluate(
            "__tandem.map.data.approach.features.map(f => [f.properties.courier_id, f.properties.colour,"
            " f.geometry.coordinates])"
        )
        # ...but only the fresh one is a way to the first stop, dotted in the courier's colour
        colour = page.get_attribute(f".lane[data-courier-id='{fresh}'] svg.swatch line", "stroke")
        assert legs == [[fresh, colour, [list(busy.positions[fresh]), [stop["lon"], stop["lat"]]]]], legs
        assert stale not in {cid for cid, _, _ in legs} and silent not in {cid for cid, _, _ in legs}
        rendered = page.evaluate(
            "[...new Set(__tandem.map.map.queryRenderedFeatures({ layers: ['approach'] })"
            ".map(f => f.properties.courier_id))]"
        )
        assert rendered == [fresh], rendered
        assert page.evaluate("__tandem.map.map.getPaintProperty('approach', 'line-dasharray')") == [0, 2]
        # the legend says what the dots are, in English and in French
        symbols = page.text_content(".map-legend .legend-symbols")  # textContent: 26 lines fold the legend
        assert "from a shared position to the first stop" in (symbols or "")
        page.select_option("#lang", "fr")
        page.wait_for_function(
            "document.querySelector('.map-legend .legend-symbols').textContent"
            '.includes("d\'une position partagée au premier arrêt")'
        )

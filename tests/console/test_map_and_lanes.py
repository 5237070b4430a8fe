"""The console's map and lanes, and the phone's leg map (issue 17, items 5 and 7), in a real
browser against a real server.

The map has a legend (route colour = lane), draws each planned route along the streets
(``GET /v1/plan/streets``), shows a shared position with its age, and keeps its view while the
dispatcher moves through the list with ``j`` unless the job is off screen. The lanes have a now
line, chips that say pickup -> drop-off, an alert on a lane off shift that holds jobs, and keep
the day's order when a courier joins. The phone's leg map has the street path inside its frame
and a ``geo:`` link to the next stop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from dispatch import commands
from dispatch.model import Vehicle
from dispatch.store import Store, positions
from tests.api.harness import Server, World, login, make_world
from tests.console.browser import browser, console_log_in, shot

PLACES = {
    "Rautatientori": (24.9414, 60.1710),
    "Kauppatori": (24.9525, 60.1675),
    "Ateneum": (24.9441, 60.1700),
    "Esplanadi": (24.9470, 60.1678),
    "Kaisaniemi": (24.9460, 60.1750),
    "Senaatintori": (24.9522, 60.1693),
    "Kluuvi": (24.9440, 60.1730),
    "Erottaja": (24.9420, 60.1665),
}
TRIPS = (
    ("Kaisaniemi", "Erottaja"),
    ("Kluuvi", "Kauppatori"),
    ("Senaatintori", "Ateneum"),
    ("Esplanadi", "Kaisaniemi"),
    ("Erottaja", "Senaatintori"),
    ("Kauppatori", "Kluuvi"),
)


class Day:
    def __init__(self, server: Server, world: World, url: str, held: str) -> None:
        self.server, self.world, self.url, self.held = server, world, url, held
        self.desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)

    def id(self, name: str) -> str:
        return self.world.couriers[name][0]


def body(pickup: str, dropoff: str, now: datetime) -> dict[str, Any]:
    def place(name: str) -> dict[str, Any]:
        lon, lat = PLACES[name]
        return {"lon": lon, "lat": lat, "address": name}

    return {
        "pickup": place(pickup),
        "dropoff": place(dropoff),
        "pickup_window": {"start": now.isoformat(), "end": (now + timedelta(hours=3)).isoformat()},
        "dropoff_window": {"start": now.isoformat(), "end": (now + timedelta(hours=4)).isoformat()},
        "parcels": [{"weight_kg": 3.0, "volume_l": 10, "longest_side_cm": 40}],
    }


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    """Aino and Veera on shift with six jobs planned; Aino holds one more and shared her position
    three minutes ago; Ilmari went home with a job in hand."""
    url = f"sqlite:///{tmp_path_factory.mktemp('maplanes') / 'tandem.db'}"
    world = make_world(url, riders=(("Ilmari", "cargo_bike"),))
    server = Server(url, auto_plan="0").start()
    try:
        now = datetime.now(UTC)
        key = {"Authorization": f"Bearer {world.client_key}"}
        asked = [
            httpx.post(f"{server.url}/v1/deliveries", json=body(a, b, now), headers=key, timeout=30) for a, b in TRIPS
        ]
        assert all(r.status_code == 201 for r in asked), [r.text for r in asked]
        held = httpx.post(f"{server.url}/v1/deliveries", json=body("Rautatientori", "Kauppatori", now), headers=key)
        stranded = httpx.post(f"{server.url}/v1/deliveries", json=body("Ateneum", "Esplanadi", now), headers=key)
        store = Store.open(url)
        try:
            coop = world.coop_id
            aino, veera, ilmari = (world.couriers[n][0] for n in ("Aino", "Veera", "Ilmari"))
            for courier in (aino, veera, ilmari):
                commands.start_shift(
                    store, coop, courier, at=now - timedelta(hours=1), planned_end=now + timedelta(hours=4)
                )
            for job, courier in ((held.json()["id"], aino), (stranded.json()["id"], ilmari)):
                commands.override(store, coop, job, courier, dispatcher_id="desk", at=now - timedelta(minutes=20))
                commands.acknowledge(store, coop, job, courier_id=courier, at=now - timedelta(minutes=19))
            commands.pick_up(store, coop, stranded.json()["id"], courier_id=ilmari, at=now - timedelta(minutes=10))
            commands.courier_unavailable(
                store, coop, ilmari, dispatcher_id="desk", at=now - timedelta(minutes=5), reason="flu"
            )
            positions.record(store, coop, aino, held.json()["id"], 24.9430, 60.1712, now - timedelta(minutes=3))
        finally:
            store.close()
        made = Day(server, world, url, held.json()["id"])
        r = httpx.post(
            f"{server.url}/v1/planning/rounds?wait=true", headers={"Authorization": f"Bearer {made.desk}"}, timeout=120
        )
        assert r.status_code == 200 and r.json()["done"], r.text
        assert sum(len(stops) for stops in r.json()["plan"]["routes"].values()) >= 8, r.json()["plan"]["routes"]
        yield made
    finally:
        server.stop()


def open_console(page: Any, day: Day) -> None:
    console_log_in(page, day.server.url, day.world.coop_id, day.world.dispatcher_login, day.world.dispatcher_password)
    page.wait_for_selector(".maplibregl-canvas")


def view(page: Any) -> list[float]:
    return list(
        page.evaluate(
            "(() => { const m = __tandem.map.map; const c = m.getCenter(); return [c.lng, c.lat, m.getZoom()]; })()"
        )
    )


def test_the_map_has_a_legend_routes_along_streets_positions_with_their_age_and_keeps_its_view(day: Day) -> None:
    with browser((1440, 900)) as page:
        open_console(page, day)
        # the legend: one line per courier with a route, in their lane's colour
        page.wait_for_selector(".map-legend li[data-courier-id]")
        legend = page.eval_on_selector_all(
            ".map-legend li[data-courier-id]",
            "els => els.map(e => [e.dataset.courierId, e.textContent,"
            " e.querySelector('.legend-line svg').dataset.look])",
        )
        swatches = dict(
            page.eval_on_selector_all(
                ".lane", "els => els.map(e => [e.dataset.courierId, e.querySelector('svg.swatch').dataset.look])"
            )
        )
        assert legend and all(swatches[cid] == colour for cid, _, colour in legend), (legend, swatches)
        assert {name for _, name, _ in legend} <= {"Aino", "Veera"}, legend
        assert page.inner_text(".map-legend summary") == "Routes (colour = lane)"

        # the routes along the streets: each leg a street path, more points than the route's stops
        page.wait_for_function(
            "(__tandem.map.data.routes?.features || []).some(f => f.properties.start)", timeout=30_000
        )
        plan = httpx.get(f"{day.server.url}/v1/plan", headers={"Authorization": f"Bearer {day.desk}"}).json()
        drawn = page.evaluate(
            "__tandem.map.data.routes.features.map(f =>"
            " [f.properties.courier_id, f.properties.start || null, f.geometry.coordinates.length])"
        )
        for cid, stops in plan["routes"].items():
            mine = [d for d in drawn if d[0] == cid]
            if len(stops) < 2:
                continue
            assert all(start for _, start, _ in mine), mine  # legs, not one straight line
            assert sum(n for _, _, n in mine) > len(stops) and max(n for _, _, n in mine) > 2, (stops, mine)

        # a shared position: a dot in the courier's colour, with their name and how old it is
        marker = f".map-position[data-courier-id='{day.id('Aino')}']"
        page.wait_for_selector(marker)
        assert re.fullmatch(r"Aino · [2-4] min ago", page.inner_text(f"{marker} .label")), page.inner_text(marker)
        colour = page.eval_on_selector(
            f".lane[data-courier-id='{day.id('Aino')}'] svg.swatch line",
            "e => { const i = document.createElement('i'); i.style.background = e.getAttribute('stroke');"
            " return i.style.background; }",
        )
        assert page.eval_on_selector(f"{marker} .dot", "e => e.style.background") == colour

        # j through the list: the whole city is in view, so the map never moves
        page.keyboard.press("j")
        page.wait_for_selector("#jobs .job[aria-current=true]")
        page.wait_for_timeout(500)
        before = view(page)
        for _ in range(4):
            page.keyboard.press("j")
            page.wait_for_timeout(400)
        assert view(page) == before
        # ...unless the job is off screen: then the map brings it into view
        page.evaluate("__tandem.map.map.jumpTo({ center: [24.90, 60.20], zoom: 16 })")
        page.keyboard.press("k")
        page.wait_for_function("__tandem.map.map.getCenter().lat < 60.185", timeout=10_000)
        shot(page, "map-legend-streets-positions")


def test_lanes_have_a_now_line_readable_chips_an_off_shift_alert_and_keep_the_day_order(day: Day) -> None:
    with browser((1440, 900)) as page:
        open_console(page, day)
        page.wait_for_selector(".lane .chip")
        assert page.locator(".lane .now-line").count() == page.locator(".lane").count() >= 3
        # a chip names its job pickup -> drop-off
        chip = page.inner_text(f".lane[data-courier-id='{day.id('Aino')}'] .chip")
        assert chip.startswith("Rautatientori → Kauppatori"), chip
        # off shift with a job in hand: said on the lane
        ilmari = f".lane[data-courier-id='{day.id('Ilmari')}']"
        assert re.search(r"off shift with 1 job\(s\) in hand", page.inner_text(f"{ilmari} .alert"))
        # the load bar is labelled as a load, never a figure of a person
        assert re.fullmatch(r"load \d+ / \d+ kg", page.inner_text(f"{ilmari} .load-text"))

        # a courier joins mid-day: the lanes keep this morning's order, the newcomer goes last, and
        # the API's rotation keeps the others' order too (a console opened now sees the same)
        morning = page.eval_on_selector_all(".lane", "els => els.map(e => e.dataset.courierId)")
        store = Store.open(day.url)
        try:
            added = store.add_courier(day.world.coop_id, "Uusi", Vehicle.of_kind("bike")).id
            commands.start_shift(store, day.world.coop_id, added, at=datetime.now(UTC))
        finally:
            store.close()
        page.wait_for_selector(f".lane[data-courier-id='{added}']")
        now = page.eval_on_selector_all(".lane", "els => els.map(e => e.dataset.courierId)")
        assert now == [*morning, added], (morning, now)
        assert api_order(day, morning) == morning
        shot(page, "lanes-now-chips-alert")


def api_order(day: Day, ids: list[str]) -> list[str]:
    """The couriers ``ids`` in the order the API lists them now (its rotation of the day)."""
    listed = httpx.get(f"{day.server.url}/v1/couriers", headers={"Authorization": f"Bearer {day.desk}"}).json()
    return [c["id"] for c in listed["couriers"] if c["id"] in ids]


def test_the_phone_leg_map_fits_the_street_path_and_links_to_the_maps_app(day: Day) -> None:
    _, user, password = day.world.couriers["Aino"]
    with browser((390, 844)) as page:
        page.goto(f"{day.server.url}/courier")
        page.fill("input[name=cooperative_id]", day.world.coop_id)
        page.fill("input[name=login]", user)
        page.fill("input[name=password]", password)
        page.click("#login button[type=submit]")
        page.wait_for_selector("#connection[data-state=live]")
        page.wait_for_selector("#leg:not([hidden]) .maplibregl-canvas")
        page.wait_for_function("__tandem.legMap?.data.path && __tandem.legMap.data.streets?.features.length > 100")
        page.wait_for_function("__tandem.legMap.map.loaded()")
        outside = page.evaluate(
            """(() => {
                const m = __tandem.legMap.map, box = m.getContainer();
                const coords = __tandem.legMap.data.path.geometry.coordinates;
                const out = coords.map(c => m.project(c))
                  .filter(p => p.x < 0 || p.y < 0 || p.x > box.clientWidth || p.y > box.clientHeight);
                return [coords.length, out.length, box.clientWidth, box.clientHeight];
            })()"""
        )
        assert outside[0] > 2 and outside[1] == 0 and outside[2] > 300 and outside[3] > 200, outside
        lon, lat = PLACES["Rautatientori"]  # acknowledged, not picked up yet: the leg starts at the pickup
        at = f"{lat:.6f},{lon:.6f}"
        assert page.get_attribute("#leg-maps a", "href") == f"geo:{at}?q={at}(Rautatientori)"
        shot(page, "phone-leg-map")

"""The console's queue at a lunchtime rush (issue 17): dense, pinned, keyboard-fast. Real server, real Chromium.

One server and one rush serve the tests of this module (a server takes seconds to start on a
shared machine): 24 open jobs around central Helsinki, four couriers on shift, one planning round,
one job declined by its courier.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch.model import Role
from dispatch.store import Store
from tests.api.harness import Server, World, event_type, login, make_world
from tests.console.browser import ARTIFACTS, browser, console_log_in, shot
from tests.console.test_console import Couriers

DOCS = Path(__file__).parents[2] / "docs"
RIDERS = (("Ilmari", "cargo_bike"), ("Sanna", "e_cargo_bike"))
PLACES = (
    ("Rautatientori", 24.9414, 60.1710),
    ("Kauppatori", 24.9525, 60.1675),
    ("Kaisaniemi", 24.9480, 60.1770),
    ("Esplanadi", 24.9470, 60.1675),
    ("Bulevardi", 24.9390, 60.1660),
    ("Senaatintori", 24.9522, 60.1694),
    ("Ateneum", 24.9440, 60.1700),
    ("Lasipalatsi", 24.9370, 60.1700),
)
WEIGHTS = (2.0, 4.0, 6.5, 12.0, 30.0, 3.0)
JOBS = 24


@dataclass
class Rush:
    server: Server
    world: World
    couriers: Couriers
    desk: str  #: the dispatcher's token
    jobs: list[str]
    declined: str  #: the job a courier declined
    declined_by: str  #: their name
    other_desk: str  #: a second dispatcher's token (Sami)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.desk}"}


def rush_body(i: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    a, b = PLACES[i % len(PLACES)], PLACES[(3 * i + 1) % len(PLACES)]
    if a == b:
        b = PLACES[(i + 2) % len(PLACES)]
    closes = now + timedelta(minutes=20 + 7 * i)
    return {
        "pickup": {"lon": a[1], "lat": a[2], "address": a[0]},
        "dropoff": {"lon": b[1], "lat": b[2], "address": b[0]},
        "pickup_window": {"start": now.isoformat(), "end": closes.isoformat()},
        "dropoff_window": {"start": now.isoformat(), "end": (closes + timedelta(minutes=60)).isoformat()},
        "parcels": [
            {"weight_kg": WEIGHTS[i % len(WEIGHTS)], "volume_l": 10, "longest_side_cm": 120 if i % 9 == 4 else 40}
        ],
    }


def world_with_sami(url: str, riders: tuple[tuple[str, str], ...]) -> tuple[World, str]:
    """:func:`make_world` with Sami, a second dispatcher (who beats the console to a job); Sami's
    password."""
    world = make_world(url, riders=riders)
    store = Store.open(url)
    try:
        _, sami_password = store.add_member(world.coop_id, Role.DISPATCHER, "Sami", "sami")
    finally:
        store.close()
    return world, sami_password


@pytest.fixture(scope="module")
def rush(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rush]:
    url = f"sqlite:///{tmp_path_factory.mktemp('rush') / 'tandem.db'}"
    world, sami_password = world_with_sami(url, RIDERS)
    server = Server(url, planning_budget_s="0.5").start()
    couriers = Couriers(server, world)
    try:
        couriers.connect_all()
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        client = {"Authorization": f"Bearer {world.client_key}"}
        jobs = []
        for i in range(JOBS):
            r = httpx.post(f"{server.url}/v1/deliveries", json=rush_body(i), headers=client, timeout=30)
            assert r.status_code == 201, r.text
            jobs.append(r.json()["id"])
        auth = {"Authorization": f"Bearer {desk}"}
        r = httpx.post(f"{server.url}/v1/planning/rounds?wait=true", headers=auth, timeout=120)
        assert r.status_code == 200 and r.json()["done"], r.text
        # one proposal accepted, then declined by its courier: a person must decide again
        state = httpx.get(f"{server.url}/v1/console/state", headers=auth, timeout=30).json()
        proposed = [j for j in state["jobs"] if j["state"] == "proposed"]
        assert len(proposed) >= 12, [j["state"] for j in state["jobs"]]
        job = proposed[-1]
        courier = job["proposal"]["courier_id"]
        r = httpx.post(
            f"{server.url}/v1/jobs/{job['id']}/decisions", json={"action": "accept"}, headers=auth, timeout=30
        )
        assert r.status_code == 200, r.text
        sock = couriers.sockets[courier]
        couriers.run(sock.until(lambda m: event_type(m) == "ProposalAccepted"))
        answer = couriers.run(sock.act("decline", "decline-1", job_id=job["id"], reason="Flat tyre"))
        assert answer["type"] == "result", answer
        # the decline asks for a round: let it finish, so that the tests start from a quiet queue
        r = httpx.post(f"{server.url}/v1/planning/rounds?wait=true", headers=auth, timeout=120)
        assert r.status_code == 200 and r.json()["done"], r.text
        name = next(n for n, (cid, _, _) in world.couriers.items() if cid == courier)
        sami = login(server.url, world.coop_id, "sami", sami_password)
        yield Rush(server, world, couriers, desk, jobs, job["id"], name, sami)
    finally:
        couriers.close()
        server.stop()


def open_console(page: Any, rush: Rush) -> None:
    w = rush.world
    console_log_in(page, rush.server.url, w.coop_id, w.dispatcher_login, w.dispatcher_password)


def rows_in_view(page: Any) -> int:
    """Rows wholly inside the queue's visible area (below its sticky head, above the window's edge)."""
    return int(
        page.evaluate(
            """() => {
              const panel = document.querySelector('#queue-panel').getBoundingClientRect();
              const head = document.querySelector('#queue-panel .panel-head').getBoundingClientRect();
              const bottom = Math.min(panel.bottom, window.innerHeight);
              return [...document.querySelectorAll('#jobs .job')].filter((row) => {
                const b = row.getBoundingClientRect();
                return b.height > 0 && b.top >= head.bottom - 1 && b.bottom <= bottom + 1;
              }).length;
            }"""
        )
    )


def test_a_rush_fits_on_one_screen_with_decisions_pinned_on_top(rush: Rush) -> None:
    with browser((1440, 900)) as page:
        open_console(page, rush)
        page.wait_for_function(f"document.querySelectorAll('#jobs .job').length === {JOBS}")
        assert rows_in_view(page) >= 12

        # one line per job: the window, where, the weight, who would take it and what it adds
        heights = page.eval_on_selector_all("#jobs .job", "els => els.map(e => e.getBoundingClientRect().height)")
        assert max(heights) < 40, heights
        proposed = page.locator("#jobs .job[data-state=proposed]")
        first = proposed.first
        assert re.fullmatch(r"\d+ min|\d+ h \d\d", first.locator(".closes").inner_text()), first.inner_text()
        assert first.locator(".flag").first.inner_text().endswith("kg")
        assert first.locator(".proposal .name").inner_text() in rush.world.couriers
        assert first.locator(".proposal .extra").inner_text().startswith("+")

        # the declined job needs a decision: pinned above every job that does not
        order = page.eval_on_selector_all("#jobs .job", "els => els.map(e => e.classList.contains('pinned'))")
        assert order[0] and order == sorted(order, reverse=True), order
        declined = page.locator(f"#jobs .job[data-job-id='{rush.declined}']")
        assert "pinned" in (declined.get_attribute("class") or "")
        assert declined.locator(".flag.declined").get_attribute("title") == f"declined by {rush.declined_by}: Flat tyre"

        # counts per state, for the whole day
        counts = page.inner_text("#counts")
        assert f"proposed {proposed.count()}" in counts and "to decide" in counts

        # the reasons one key away (r), and one click away (Why)
        page.keyboard.press("j")
        top = page.eval_on_selector("#jobs .job", "e => e.dataset.jobId")
        page.wait_for_selector(f"#jobs .job[data-job-id='{top}'][aria-current=true]")
        page.keyboard.press("r")
        page.wait_for_selector(f"#why-{top}")
        # the top row is the one pinned job, the declined one: its reasons say who declined and why
        assert top == rush.declined, (top, rush.declined)
        why = page.inner_text(f"#why-{top}")
        assert re.search(r"pickup: \d\d:\d\d–\d\d:\d\d", why) and f"{rush.declined_by} declined: Flat tyre" in why, why
        page.keyboard.press("r")
        page.wait_for_selector(f"#why-{top}", state="detached")
        other = first.get_attribute("data-job-id")
        first.locator("button[data-act=why]").click()
        page.wait_for_selector(f"#why-{other} .reason")
        assert first.locator("button[data-act=why]").get_attribute("aria-expanded") == "true"
        first.locator("button[data-act=why]").click()
        page.wait_for_selector(f"#why-{other}", state="detached")

        # the lanes: stop labels never overlap, a "now" line, each courier's colour (the map's legend);
        # labels there are, several on a lane (else "no overlap" would say nothing)
        labels = page.eval_on_selector_all(
            ".lane",
            "lanes => lanes.map(l => [...l.querySelectorAll('.stop:not(.tick)')]"
            ".filter(e => e.getBoundingClientRect().width > 0).length)",
        )
        assert max(labels) >= 2, labels
        overlaps = page.evaluate(
            """() => [...document.querySelectorAll('.lane')].flatMap(lane => {
                 const boxes = [...lane.querySelectorAll('.stop:not(.tick)')].map(e => e.getBoundingClientRect());
                 const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
                 const id = lane.dataset.courierId;
                 return boxes.flatMap((a, i) => boxes.slice(i + 1).filter(b => meet(a, b)).map(() => id));
               })"""
        )
        assert not overlaps, overlaps
        assert page.locator(".lane .now-line").count() == page.locator(".lane").count()
        swatches = page.eval_on_selector_all(
            ".lane .swatch", "els => els.map(e => e.dataset.look || e.style.background)"
        )
        assert len(set(swatches)) == len(swatches) == page.locator(".lane").count(), swatches

        page.wait_for_selector(".maplibregl-canvas")
        page.keyboard.press("k")  # back to the top, away from the buttons
        shot(page, "queue-1440x900")
        if os.environ.get("TANDEM_UPDATE_DOCS") == "1":
            page.screenshot(path=str(DOCS / "console-queue.png"))
            shutil.copy(DOCS / "console-queue.png", ARTIFACTS / "console-queue-docs.png")


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EVENT_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")  # ProposalAccepted, JobUnassigned...


def current(page: Any, other_than: str = "") -> str:
    """The selected job, which must also hold the focus (the next key acts on it)."""
    page.wait_for_function(
        "other => { const a = document.activeElement; const c = document.querySelector('[aria-current=true]');"
        " return c && a === c && c.dataset.jobId !== other; }",
        arg=other_than,
    )
    return str(page.evaluate("document.activeElement.dataset.jobId"))


def said(page: Any, *words: str) -> str:
    """The toast, once it says all of ``words``; never an id or an event's class name."""
    try:
        page.wait_for_function(
            "words => words.every(w => document.querySelector('#toast-text').textContent.includes(w))",
            arg=list(words),
            timeout=15_000,
        )
    except Exception as exc:
        raise AssertionError(f"the console said {page.inner_text('#toast-text')!r}, not {words}") from exc
    text = str(page.inner_text("#toast-text"))
    assert not UUID.search(text) and not EVENT_NAME.search(text), text
    return text


def quiet(page: Any, rush: Rush, *, round_asked: bool = True) -> None:
    """Wait for the planning round an act asked for to end and the page to have shown the last
    event: a round proposes every open job again, and a decision racing it is (rightly) refused."""
    if round_asked:
        r = httpx.post(f"{rush.server.url}/v1/planning/rounds?wait=true", headers=rush.headers(), timeout=120)
        assert r.status_code == 200 and r.json()["done"], r.text
    state = httpx.get(f"{rush.server.url}/v1/console/state", headers=rush.headers(), timeout=30).json()
    page.wait_for_function("seq => window.__tandem.lastSeq >= seq", arg=state["last_seq"], timeout=30_000)


def other_desk_accepts_first(base: str, job: str, token: str) -> tuple[Callable[[Any], None], list[str]]:
    """A route handler by which another desk accepts ``job`` just before the console's request
    goes on, and the list its answer lands in. The request always goes on: a handler that raised
    would leave it hanging and the test would only see an unchanged toast (a CI failure said no
    more than that), so the answer is checked on the test's thread (:func:`accepted_first`)."""
    answers: list[str] = []

    def handler(route: Any) -> None:
        try:
            r = httpx.post(
                f"{base}/v1/jobs/{job}/decisions",
                json={"action": "accept"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            answers.append(f"{r.status_code} {r.text}")
        except Exception as exc:
            answers.append(f"failed: {exc!r}")
        finally:
            route.continue_()

    return handler, answers


def accepted_first(page: Any, answers: list[str]) -> None:
    """Wait (letting the route handler run) until the other desk's accept is answered, and
    check that it stood."""
    deadline = time.monotonic() + 60
    while not answers and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert answers and answers[0].startswith("200 "), answers


def job_label(page: Any, job: str) -> str:
    return str(page.get_attribute(f"#jobs .job[data-job-id='{job}'] .where", "title"))


def tab_to(page: Any, selector: str, *, back: bool | None = None, most: int = 250) -> None:
    """Press Tab until ``selector`` holds the focus, as a person without a mouse would: no
    ``page.focus``, so an element Tab cannot reach fails here. Shift+Tab if ``back``, or (None)
    if the element comes before the focus in the page."""
    if back is None:
        back = bool(
            page.evaluate(
                "s => { const a = document.activeElement, t = document.querySelector(s);"
                " return !!(a && t && (a.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_PRECEDING)); }",
                selector,
            )
        )
    for _ in range(most):
        if page.evaluate("s => document.activeElement !== null && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{most} presses of Tab never reached {selector}")


def skip_to_the_lanes(page: Any, chip: str) -> None:
    """From the queue to ``chip`` in a few keys: / (the filter), Shift+Tab to the skip link, seen
    once focused, Enter, then Tab over the chips before it; without the link, ~47 Tabs."""
    page.keyboard.press("/")
    page.keyboard.press("Shift+Tab")
    link = "document.activeElement.id === 'skip-to-lanes' && document.activeElement.getBoundingClientRect()"
    assert page.evaluate(f"{link}.width > 40"), "the skip link is not focused and in sight"
    assert page.inner_text("#skip-to-lanes") == "Skip to the couriers' lanes"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "lanes-panel"
    assert page.evaluate("document.querySelector('#skip-to-lanes').getBoundingClientRect().width") <= 1  # out of sight
    before = page.eval_on_selector_all(
        "#lanes button, #lanes a[href]", "(els, s) => els.findIndex((e) => e.matches(s))", chip
    )
    tab_to(page, chip, back=False, most=before + 2)  # Tab once to the first chip


def choose_by_keyboard(page: Any, avoid: set[str]) -> str:
    """In the open decide dialog: Shift+Tab back to the couriers' radios (the dialog opens on
    the reason field), arrow to a courier not in ``avoid``, Tab back to the reason and type one;
    the courier chosen."""
    page.wait_for_selector("#decide-couriers input:checked")
    tab_to(page, "#decide-couriers input[name=decide-courier]", back=True, most=12)
    for _ in range(8):
        chosen = str(page.evaluate("document.activeElement.value"))
        if chosen not in avoid and page.is_checked(f"#decide-to-{chosen}"):
            break
        page.keyboard.press("ArrowDown")
    assert chosen not in avoid, (chosen, avoid)
    tab_to(page, "#decide-reason", most=12)
    page.keyboard.type("nearer by keyboard")
    return chosen


def test_the_keyboard_path_through_a_rush(rush: Rush) -> None:
    """j/k, a, Escape, u (asked, said), a conflict in plain words, Shift+A asked with its count and undone."""
    base = rush.server.url
    with browser((1440, 900)) as page:
        open_console(page, rush)
        page.wait_for_function("document.querySelectorAll('#jobs .job[data-state=proposed]').length >= 8")
        quiet(page, rush, round_asked=False)  # the fixture waited for its rounds

        # a: accepted, and the next row is selected (with the focus): the next a acts on it
        page.keyboard.press("j")
        first = current(page)
        page.keyboard.press("j")
        second = current(page, other_than=first)
        third = page.eval_on_selector(f"#jobs .job[data-job-id='{second}']", "e => e.nextElementSibling.dataset.jobId")
        page.keyboard.press("a")
        page.wait_for_selector(f"#jobs .job[data-job-id='{second}']", state="detached")
        assert current(page) == third
        page.wait_for_selector(f".chip[data-job-id='{second}']")

        # Escape leaves the filter: the next j moves the selection instead of being typed
        page.keyboard.press("/")
        page.keyboard.type("Kauppatori")
        page.keyboard.press("Escape")
        first_match = current(page)
        page.keyboard.press("j")
        assert page.input_value("#filter") == "Kauppatori"
        current(page, other_than=first_match)
        page.fill("#filter", "")
        page.keyboard.press("Escape")
        current(page)

        # u on a job nobody has yet: said in plain words, nothing sent
        proposed = current(page)
        page.keyboard.press("u")
        said(page, job_label(page, proposed), "nothing to take back")

        # o: the override dialog, a courier chosen and confirmed with keys alone; the next row selected
        if proposed == third:
            page.keyboard.press("j")
            proposed = current(page, other_than=third)
        after = page.eval_on_selector(
            f"#jobs .job[data-job-id='{proposed}']", "e => e.nextElementSibling.dataset.jobId"
        )
        names = page.locator(f"#jobs .job[data-job-id='{proposed}'] .proposal .name").all_inner_texts()
        was_to = rush.world.couriers[names[0]][0] if names else ""
        page.keyboard.press("o")
        page.wait_for_selector("#decide-dialog[open]")
        assert page.inner_text("#decide-title") == "Give the job to another courier"
        given_to = choose_by_keyboard(page, {was_to})
        page.keyboard.press("Enter")
        page.wait_for_selector("#decide-dialog:not([open])", state="attached")
        page.wait_for_selector(f".lane[data-courier-id='{given_to}'] .chip[data-job-id='{proposed}']")
        assert current(page, other_than=proposed) == after  # the next row, with the focus: the next key acts on it

        # the accepted job's chip, reached with Tab (never page.focus) past the queue by the skip
        # link, moved to another lane by keys
        chip = f".chip[data-job-id='{second}']"
        holder = page.eval_on_selector(chip, "e => e.closest('.lane').dataset.courierId")
        skip_to_the_lanes(page, chip)
        assert current(page) == second
        page.keyboard.press("o")
        page.wait_for_selector("#decide-dialog[open]")
        assert page.inner_text("#decide-title") == "Move the job to another courier"
        moved_to = choose_by_keyboard(page, {holder})
        page.wait_for_function("!document.querySelector('#decide-cost').textContent.includes('…')")
        page.keyboard.press("Enter")
        page.wait_for_selector("#decide-dialog:not([open])", state="attached")
        page.wait_for_selector(f".lane[data-courier-id='{moved_to}'] {chip}")
        assert page.locator(f".lane[data-courier-id='{holder}'] {chip}").count() == 0
        quiet(page, rush)  # any round the override or the move asked for

        # u on an assigned job (its chip reached with Tab again): asked, then said
        tab_to(page, chip)
        assert current(page) == second
        page.keyboard.press("u")
        page.wait_for_selector("#confirm-dialog[open]")
        question = page.inner_text("#confirm-text")
        assert "Take" in question and not UUID.search(question), question
        page.keyboard.press("Enter")
        said(page, "taken back from")
        page.wait_for_selector(f"#jobs .job[data-job-id='{second}']")
        page.wait_for_selector(f".chip[data-job-id='{second}']", state="detached")
        quiet(page, rush)  # the round it asked for

        # another dispatcher accepts first: the refusal says who, what and which job
        page.click(f"#jobs .job[data-job-id='{third}'] .where")
        assert current(page) == third
        label = job_label(page, third)

        sami_first, sami = other_desk_accepts_first(base, third, rush.other_desk)
        page.route(f"**/v1/jobs/{third}/decisions", sami_first)
        page.keyboard.press("a")
        accepted_first(page, sami)
        said(page, "Sami already accepted", label)
        page.wait_for_selector(f"#jobs .job[data-job-id='{third}']", state="detached")  # shown as it is now
        page.unroute(f"**/v1/jobs/{third}/decisions")

        # Shift+A: asked with the count, then undone within seconds (what it accepted is taken back)
        n = page.locator("#jobs .job[data-state=proposed]").count()
        ids = page.eval_on_selector_all("#jobs .job[data-state=proposed]", "els => els.map(e => e.dataset.jobId)")
        page.keyboard.press("Shift+A")
        page.wait_for_selector("#confirm-dialog[open]")
        assert f"Accept all {n} proposals" in page.inner_text("#confirm-text")
        page.keyboard.press("Escape")  # cancelled: nothing accepted
        page.wait_for_selector("#confirm-dialog:not([open])", state="attached")
        assert page.locator("#jobs .job[data-state=proposed]").count() == n
        # ... and Sami accepts one of them just before: the refusal says who and which job, in words
        taken = ids[0]
        taken_label = job_label(page, taken)

        sami_takes_one, sami_took = other_desk_accepts_first(base, taken, rush.other_desk)
        page.route("**/v1/decisions/accept-all", sami_takes_one)
        page.keyboard.press("Shift+A")
        page.wait_for_selector("#confirm-dialog[open]")
        page.keyboard.press("Enter")
        accepted_first(page, sami_took)
        text = said(page, f"{n - 1} proposals accepted", f"Sami already accepted “{taken_label}”")
        assert "changed meanwhile" not in text, text
        page.unroute("**/v1/decisions/accept-all")
        assert page.is_visible("#toast-action")
        page.wait_for_function("document.querySelectorAll('#jobs .job[data-state=proposed]').length === 0")
        page.keyboard.press("z")
        said(page, f"Undone: {n - 1} taken back")
        auth = {"Authorization": f"Bearer {rush.desk}"}
        states = {j: httpx.get(f"{base}/v1/jobs/{j}", headers=auth).json()["state"] for j in ids[1:]}
        assert set(states.values()) <= {"unassigned", "proposed"}, states
        assert httpx.get(f"{base}/v1/jobs/{taken}", headers=auth).json()["state"] == "assigned"  # Sami's act stands
        page.wait_for_function(f"document.querySelectorAll('#jobs .job').length >= {n - 1}")
        shot(page, "queue-keyboard-undone")


def serious(page: Any) -> list[str]:
    """axe-core's critical and serious violations on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}) x{len(v['nodes'])}: {v['nodes'][0]['target']} {v['help']}"
        for v in found
        if v["impact"] in ("critical", "serious")
    ]


def test_axe_finds_nothing_critical_or_serious_on_the_console_and_the_log_in_pages(rush: Rush) -> None:
    base = rush.server.url
    with browser((1440, 900)) as page:
        page.goto(f"{base}/console/")
        page.wait_for_selector("#login:not([hidden])")
        problems = {"console log-in": serious(page)}
        page.goto(f"{base}/courier")
        page.wait_for_selector("form:visible")
        problems["courier log-in"] = serious(page)
        open_console(page, rush)
        page.wait_for_function(f"document.querySelectorAll('#jobs .job').length >= {JOBS // 2}")
        page.wait_for_selector(".chip, .maplibregl-canvas")
        page.keyboard.press("j")
        page.keyboard.press("r")  # with a job's reasons open
        page.wait_for_selector(".job .details")
        problems["console"] = serious(page)
        page.keyboard.press("?")
        page.wait_for_selector("#help-dialog[open]")
        problems["console, shortcuts"] = serious(page)
        page.keyboard.press("Escape")
        # the override dialog open with every courier's line, and the confirm dialog (Shift+A)
        for key, dialog, ready in (
            ("o", "decide-dialog", "#decide-couriers input[name=decide-courier]"),
            ("Shift+A", "confirm-dialog", "#confirm-ok"),
        ):
            page.wait_for_selector("dialog[open]", state="detached")
            page.keyboard.press(key)
            page.wait_for_selector(f"#{dialog}[open] {ready}")
            page.wait_for_function("!document.querySelector('dialog[open]').textContent.includes('…')")
            problems[f"console, {dialog}"] = serious(page)
            page.keyboard.press("Escape")
        page.wait_for_selector("dialog[open]", state="detached")
        page.select_option("#lang", "fr")
        page.wait_for_selector("#lanes .who:has-text('vélo')")  # vehicle kinds in the reader's language
        problems["console in French"] = serious(page)
        page.select_option("#lang", "en")
    assert not any(problems.values()), problems


def shown_minutes(text: str) -> int:
    """'45 min', '2 h 05' or '0 min+' as minutes."""
    m = re.match(r"\s*(?:(\d+) h (\d\d)|(\d+) min)", text)
    assert m, text
    return int(m[1]) * 60 + int(m[2]) if m[1] else int(m[3])


def test_the_fairness_meters_count_the_running_shift(rush: Rush) -> None:
    """Couriers on shift for a while show their shift and worked minutes as of now, not 0 until the shift ends."""
    base = rush.server.url
    # a courier with a job in hand: their worked time runs too
    state = httpx.get(f"{base}/v1/console/state", headers=rush.headers(), timeout=30).json()
    job = next(j for j in state["jobs"] if j["state"] == "proposed")
    rider = job["proposal"]["courier_id"]
    r = httpx.post(f"{base}/v1/jobs/{job['id']}/decisions", json={"action": "accept"}, headers=rush.headers())
    assert r.status_code == 200, r.text
    sock = rush.couriers.sockets[rider]
    answer = rush.couriers.run(sock.act("acknowledge", f"ack-{job['id']}", job_id=job["id"]))
    assert answer["type"] == "result", answer
    # ... who shares their position: a dot on the map, and its age on their lane
    answer = rush.couriers.run(sock.act("position", f"pos-{job['id']}", job_id=job["id"], lon=24.9414, lat=60.1712))
    assert answer["type"] == "result", answer
    idle = next(c for c in rush.couriers.sockets if c != rider)

    with browser((1440, 900)) as page:
        open_console(page, rush)
        cell = "#fairness tr[data-courier-id='{}'] {}"
        # the shifts began before the console opened: their start is read from the log
        page.wait_for_selector(cell.format(idle, ".shift[data-known=true]"))
        # fifty minutes on shift, in the page's clock (its timers keep running)
        page.clock.set_fixed_time(datetime.now(UTC) + timedelta(minutes=50))
        page.wait_for_function(
            "s => /^(49|5\\d) min/.test(document.querySelector(s).textContent)", arg=cell.format(idle, ".shift")
        )
        assert shown_minutes(page.inner_text(cell.format(rider, ".shift"))) >= 49
        # the courier with a job in hand has worked all along; the other has not
        assert shown_minutes(page.inner_text(cell.format(rider, ".worked"))) >= 48
        assert shown_minutes(page.inner_text(cell.format(idle, ".worked"))) == 0
        position = page.inner_text(f".lane[data-courier-id='{rider}'] .position")
        assert re.search(r"position shared (49|50|51) min ago", position), position
        assert page.locator(".lane .position").count() == 1  # nobody else shares
        width = page.eval_on_selector(cell.format(rider, ".meter > div"), "e => parseFloat(e.style.width)")
        assert width > 90, width
        shot(page, "fairness-running-shift")


def test_the_override_dialog_never_presets_an_off_shift_courier_and_follows_its_job(rush: Rush) -> None:
    """Off-shift couriers are listed but not pre-selected; a physical limit reads as a refusal; when
    another dispatcher decides the job meanwhile, the dialog closes and says so. (Last in the module:
    it ends a courier's shift.)"""
    base = rush.server.url
    auth = rush.headers()
    state = httpx.get(f"{base}/v1/console/state", headers=auth, timeout=30).json()
    proposed = [j for j in state["jobs"] if j["state"] == "proposed"]
    heavy = next(j for j in proposed if sum(p["weight_kg"] for p in j["request"]["parcels"]) >= 30)
    job = next(j for j in proposed if j is not heavy)
    aino = rush.world.couriers["Aino"][0]
    # the courier the dialog would have offered first goes home, with a light job in hand
    home = next(c["id"] for c in state["couriers"] if c["id"] not in (job["proposal"]["courier_id"], aino))
    light = next(j for j in proposed if j not in (job, heavy) and j["request"]["parcels"][0]["weight_kg"] < 10)
    r = httpx.post(
        f"{base}/v1/jobs/{light['id']}/decisions",
        json={"action": "override", "courier_id": home, "reason": "on the way"},
        headers=auth,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    answer = rush.couriers.run(rush.couriers.sockets[home].act("shift_end", "end-home"))
    assert answer["type"] == "result", answer
    # this morning's order of the lanes stays all day, whatever the rotation says later
    morning = [c["id"] for c in reversed(state["couriers"])]
    key = f"tandem.rotation.{rush.world.coop_id}.{date.today().isoformat()}"

    with browser((1440, 900)) as page:
        page.add_init_script(f"localStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(morning))})")
        open_console(page, rush)
        quiet(page, rush, round_asked=False)
        lane = f".lane[data-courier-id='{home}']"
        page.wait_for_selector(f"{lane} .who:has-text('off shift')")
        assert page.eval_on_selector_all(".lane", "els => els.map(e => e.dataset.courierId)") == morning
        assert page.eval_on_selector_all("#fairness tbody tr", "els => els.map(e => e.dataset.courierId)") == morning
        # an off-shift lane holding a job is flagged
        assert re.search(r"off shift with [1-9]\d* job\(s\) in hand", page.inner_text(f"{lane} .alert"))
        assert "stranded" in (page.get_attribute(lane, "class") or "")
        page.click(f"#jobs .job[data-job-id='{job['id']}'] button[data-act=override]")
        page.wait_for_selector("#decide-dialog[open]")
        page.wait_for_selector("#decide-couriers input:checked")
        chosen = page.eval_on_selector("#decide-couriers input:checked", "e => e.value")
        offered = page.inner_text(f"#decide-couriers tr[data-courier-id='{chosen}']")
        assert chosen != home and "on shift" in offered and re.search(r"load \d+ / \d+ kg", offered), offered
        assert "off shift" in page.inner_text(f"#decide-couriers tr[data-courier-id='{home}']")  # listed all the same
        label = job_label(page, job["id"])

        # Sami gives it meanwhile: the dialog closes and says who did what
        r = httpx.post(
            f"{base}/v1/jobs/{job['id']}/decisions",
            json={"action": "accept"},
            headers={"Authorization": f"Bearer {rush.other_desk}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        page.wait_for_selector("#decide-dialog:not([open])", state="attached")
        said(page, "Sami just accepted", label, "Nothing was changed by you")  # named, not "another dispatcher"

        # a physical limit is a refusal, not a cost
        page.click(f"#jobs .job[data-job-id='{heavy['id']}'] button[data-act=override]")
        page.wait_for_selector("#decide-dialog[open]")
        page.wait_for_selector(f"#decide-couriers tr[data-courier-id='{aino}'] .refusal")
        refusal = page.inner_text(f"#decide-couriers tr[data-courier-id='{aino}'] .refusal")
        assert refusal.startswith("Aino cannot take it:") and "kg" in refusal and not UUID.search(refusal), refusal
        assert page.is_disabled(f"#decide-to-{aino}")  # a refusal is not a choice
        shot(page, "override-refusal")
        page.click("#decide-cancel")

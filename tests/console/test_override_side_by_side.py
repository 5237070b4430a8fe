"""The override dialog in real Chromium (issue 17, item 4): every courier side by side in the
day's rotation, with their shift, their load against capacity and what the job costs them,
from one request; a physical limit is a refusal (its own colour, not selectable); an off-shift
courier is listed as a refusal too, never chosen for the dispatcher; the dialog follows its job.

What was wrong: the dialog showed one courier at a time (a select, one request per courier), a
49 kg parcel on a 25 kg bike read "adds 0.0 min … is over the 25 kg payload" in the grey cost box,
and the proposed courier's cost was not the proposal's figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from dispatch import commands as do
from dispatch.store import Store
from tests.api.harness import Server, World, create_delivery, login
from tests.api.test_override_options import three_couriers
from tests.console.browser import browser, console_log_in, shot
from tests.console.test_queue import serious

if TYPE_CHECKING:
    from playwright.sync_api import Request, Route

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


@dataclass
class Desk:
    server: Server
    world: World
    url: str  #: the database, to pause a courier as their phone would
    auth: dict[str, str]
    sami: dict[str, str]  #: a second dispatcher
    light: str
    other: str
    heavy: str  #: 49 kg

    def state(self) -> dict[str, Any]:
        return httpx.get(f"{self.server.url}/v1/console/state", headers=self.auth, timeout=30).json()  # type: ignore[no-any-return]

    def plan(self) -> None:
        r = httpx.post(f"{self.server.url}/v1/planning/rounds?wait=true", headers=self.auth, timeout=120)
        assert r.status_code == 200 and r.json()["done"], r.text


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """:func:`three_couriers` with Sami, a second dispatcher, and three jobs: 4, 6 and 49 kg."""
    url = f"sqlite:///{tmp_path_factory.mktemp('side') / 'tandem.db'}"
    world, passwords = three_couriers(url, "Sami")
    server = Server(url, planning_budget_s="0.5", auto_plan="0").start()
    try:
        light, other, heavy = (create_delivery(server.url, world, weight_kg=kg) for kg in (4.0, 6.0, 49.0))
        token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        sami = {"Authorization": f"Bearer {login(server.url, world.coop_id, 'sami', passwords['Sami'])}"}
        d = Desk(server, world, url, {"Authorization": f"Bearer {token}"}, sami, light, other, heavy)
        d.plan()
        yield d
    finally:
        server.stop()


def _open(page: Any, d: Desk, job: str) -> None:
    page.click(f"#jobs .job[data-job-id='{job}'] button[data-act=override]")
    page.wait_for_selector("#decide-dialog[open]")
    page.wait_for_selector("#decide-couriers tr[data-courier-id]")


def _decisions_sent(page: Any) -> list[dict[str, Any]]:
    """The bodies the page posts to ``/decisions`` from now on (what Confirm really sent)."""
    sent: list[dict[str, Any]] = []

    def decision(request: Request) -> None:
        if request.url.endswith("/decisions"):
            sent.append(request.post_data_json or {})

    page.on("request", decision)
    return sent


def _force_words(page: Any, d: Desk, job: str, force: str) -> tuple[str, str]:
    """Log in, open ``job``'s dialog in French and then in English (left open): the words of the
    ``force`` button in each."""
    w = d.world
    console_log_in(page, d.server.url, w.coop_id, w.dispatcher_login, w.dispatcher_password)
    page.wait_for_selector(f"#jobs .job[data-job-id='{job}']")
    said: list[str] = []
    for lang in ("fr", "en"):
        if said:
            page.click("#decide-cancel")
        page.select_option("#lang", lang)
        _open(page, d, job)
        page.wait_for_selector(force)
        said.append(page.inner_text(force))
    return said[0], said[1]


def _confirmed_only_with_a_reason(page: Any, sent: list[dict[str, Any]], reason: str) -> None:
    """Confirm a forced decision: refused on the page without a reason (nothing sent), then sent
    with ``reason`` and the dialog closed."""
    page.click("#decide-confirm")
    assert page.inner_text("#decide-error") == "Say why you force past the limit: the log keeps it."
    assert not sent
    page.fill("#decide-reason", reason)
    page.click("#decide-confirm")
    page.wait_for_selector("#decide-dialog:not([open])", state="attached")


def _back_from_pause(d: Desk, courier: str) -> None:
    """``courier`` back from a pause an earlier test may have sent them on (a paused courier's line
    is a refusal, forced only through its own button)."""
    store = Store.open(d.url)
    try:
        if store.courier_statuses(d.world.coop_id)[courier].paused:
            do.resume_shift(store, d.world.coop_id, courier, at=datetime.now(UTC))
    finally:
        store.close()


def _line(courier: str) -> str:
    return f"#decide-couriers tr[data-courier-id='{courier}']"


def test_every_courier_side_by_side_from_one_request(desk: Desk) -> None:
    d, w = desk, desk.world
    aino, veera, ilmari = (w.couriers[n][0] for n in ("Aino", "Veera", "Ilmari"))
    state = d.state()
    rotation = [c["id"] for c in state["couriers"]]
    job = next(j for j in state["jobs"] if j["id"] == d.light)
    proposed = job["proposal"]["courier_id"]
    figure = job["proposal"]["explanation"]["extra_minutes"]
    asked: list[str] = []
    with browser((1440, 900)) as page:
        page.on("request", lambda r: asked.append(r.url) if "/override-" in r.url else None)
        console_log_in(page, d.server.url, w.coop_id, w.dispatcher_login, w.dispatcher_password)
        page.wait_for_selector(f"#jobs .job[data-job-id='{d.light}'][data-state=proposed]")
        _open(page, d, d.light)
        page.wait_for_selector(f"{_line(aino)} .opt-cost:has-text('min')")
        # the rotation's order, every courier, the off-shift one too; one request for all of them
        order = page.eval_on_selector_all("#decide-couriers tr", "els => els.map(e => e.dataset.courierId)")
        assert order == rotation and set(order) == {aino, veera, ilmari}, (order, rotation)
        assert [u.split("?")[0].rsplit("/", 1)[1] for u in asked] == ["override-options"], asked
        # each on-shift courier's cost beside the others', their load against their vehicle's capacity
        for cid, name in ((aino, "Aino"), (veera, "Veera")):
            text = page.inner_text(_line(cid))
            assert re.search(rf"adds \d+\.\d min to {name}'s route", text), text
            assert re.search(r"load \d+ / \d+ kg · \d+ / \d+ L · \d+ kg with it", text), text
            assert page.locator(f"{_line(cid)} .refusal").count() == 0
        # the proposed courier's cost is the proposal's figure
        assert "proposed" in page.inner_text(f"{_line(proposed)} .tag")
        assert f"adds {figure} min" in page.inner_text(f"{_line(proposed)} .opt-cost")
        # off shift: listed, said, a refusal forced only through its own button (the API wants force
        # and a reason, outside tester's M5), never chosen for them; nor the proposed courier
        assert "off shift" in page.inner_text(_line(ilmari)) and "not on shift" in page.inner_text(_line(ilmari))
        chosen = page.eval_on_selector("#decide-couriers input:checked", "e => e.value")
        assert chosen == next(c for c in rotation if c not in (ilmari, proposed)), chosen
        assert page.is_disabled(f"#decide-to-{ilmari}")
        assert not UUID.search(page.inner_text("#decide-dialog"))
        shot(page, "override-side-by-side")
        page.click("#decide-cancel")

        # a physical limit is a refusal: its own colour, no cost, and the line cannot be chosen
        _open(page, d, d.heavy)
        page.wait_for_selector(f"{_line(aino)} .refusal")
        refusal = page.inner_text(f"{_line(aino)} .opt-cost .refusal")
        assert refusal == "Aino cannot take it: 49 kg is over the 25 kg payload of Aino's bike", refusal
        assert "adds" not in refusal and page.is_disabled(f"#decide-to-{aino}")
        colour = page.eval_on_selector(f"{_line(aino)} .refusal", "e => getComputedStyle(e).backgroundColor")
        assert colour != page.eval_on_selector("#decide-cost", "e => getComputedStyle(e).backgroundColor"), colour
        page.click(f"{_line(aino)} td.opt-load")  # a click on the line does not choose it
        assert page.eval_on_selector("#decide-couriers input:checked", "e => e.value") == veera
        assert re.search(r"adds \d+\.\d min to Veera's route", page.inner_text(f"{_line(veera)} .opt-cost"))
        shot(page, "override-side-by-side-refusal")
        page.click("#decide-cancel")
    assert sum("/override-" in u for u in asked) == 2, asked  # one per dialog, none per courier


def test_the_dialog_follows_its_job_and_says_who_acted(desk: Desk) -> None:
    d, w = desk, desk.world
    with browser((1440, 900)) as page:
        console_log_in(page, d.server.url, w.coop_id, w.dispatcher_login, w.dispatcher_password)
        page.wait_for_selector(f"#jobs .job[data-job-id='{d.other}'][data-state=proposed]")
        job = next(j for j in d.state()["jobs"] if j["id"] == d.other)
        first = job["proposal"]["courier_id"]
        _open(page, d, d.other)
        page.wait_for_selector(f"{_line(first)} .tag")

        # its proposed courier goes on a pause and a round proposes it to someone else: the dialog
        # stays, says what happened and shows the new costs
        store = Store.open(d.url)
        try:
            do.pause_shift(store, w.coop_id, first, at=datetime.now(UTC))
        finally:
            store.close()
        d.plan()
        page.wait_for_selector(f"{_line(first)}:has-text('on a pause')")
        now_to = next(j for j in d.state()["jobs"] if j["id"] == d.other)["proposal"]["courier_id"]
        assert now_to != first
        page.wait_for_selector(f"{_line(now_to)} .tag")
        assert page.is_visible("#decide-dialog[open]")
        assert "The cost below is worked out again." in page.inner_text("#decide-error")
        assert page.eval_on_selector("#decide-couriers input:checked", "e => e.value") != first  # paused

        # another dispatcher gives it meanwhile: the dialog closes and says who did what
        r = httpx.post(
            f"{d.server.url}/v1/jobs/{d.other}/decisions",
            json={"action": "override", "courier_id": now_to, "reason": "near"},
            headers=d.sami,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        page.wait_for_selector("#decide-dialog:not([open])", state="attached")
        page.wait_for_function(
            "() => document.querySelector('#toast-text').textContent.includes('Nothing was changed by you')"
        )
        toast = page.inner_text("#toast-text")
        assert "Sami just" in toast and not UUID.search(toast), toast  # named, not "another dispatcher"

        # its chip dropped on its own lane: the drop lands and is answered in words (the job is
        # already theirs), with no dialog, no request and the job where it was
        name = next(n for n, (cid, _, _) in w.couriers.items() if cid == now_to)
        label = page.get_attribute(f".chip[data-job-id='{d.other}']", "title")
        chip = f".lane[data-courier-id='{now_to}'] .chip[data-job-id='{d.other}']"
        page.wait_for_selector(chip)
        sent: list[str] = []
        page.on("request", lambda r: sent.append(r.url) if r.method != "GET" else None)
        page.drag_and_drop(chip, f".lane[data-courier-id='{now_to}']")
        page.wait_for_function(
            "words => words.every(w => document.querySelector('#toast-text').textContent.includes(w))",
            arg=[f"“{label}” is already with {name}."],
        )
        assert not page.is_visible("#toast-action")  # nothing done, so nothing to undo
        assert not page.is_visible("#decide-dialog[open]") and not sent, sent
        page.wait_for_selector(chip)
        assert next(j for j in d.state()["jobs"] if j["id"] == d.other)["courier_id"] == now_to


def test_a_refused_line_is_forced_only_through_a_second_step_that_names_the_limit(desk: Desk) -> None:
    """Forcing past a physical limit was API-only: the refused line could not be chosen at all.
    Now it stays a refusal (its colour, never chosen for the dispatcher, a click on it or its name
    does nothing, a plain Confirm on it is refused before any request), and "Force past this limit
    (payload)" makes it choosable; Confirm then asks for a reason and sends ``force``."""
    d, w = desk, desk.world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    _back_from_pause(d, veera)
    job = create_delivery(d.server.url, w, weight_kg=49.0)
    force = f"{_line(aino)} .force-limit"
    with browser((1440, 900)) as page:
        sent = _decisions_sent(page)
        # in French the control names the limit too
        assert _force_words(page, d, job, force) == (
            "Forcer malgré cette limite (charge utile)",
            "Force past this limit (payload)",
        )
        # still a refusal: never chosen for the dispatcher; clicking the line or its name chooses nothing
        chosen = "els => els.map(e => e.value)"
        assert aino not in page.eval_on_selector_all("#decide-couriers input:checked", chosen)
        page.click(f"{_line(aino)} td.opt-load")
        page.click(f"label[for='decide-to-{aino}']", force=True)
        assert page.is_disabled(f"#decide-to-{aino}") and not page.is_checked(f"#decide-to-{aino}")
        assert aino not in page.eval_on_selector_all("#decide-couriers input:checked", chosen)
        # even checked by other means, a plain Confirm on it is refused here, before any request
        page.evaluate(
            f"(() => {{ const i = document.getElementById('decide-to-{aino}');"
            " i.disabled = false; i.checked = true; })()"
        )
        page.click("#decide-confirm")
        assert page.inner_text("#decide-error").startswith("Aino cannot take it as it is: use “Force past this limit”")
        assert not sent and page.is_visible("#decide-dialog[open]")

        # the second step: the line is chosen, forced, and says so; without a reason nothing is sent
        page.click(force)
        assert page.is_checked(f"#decide-to-{aino}") and "forcing" in (page.get_attribute(_line(aino), "class") or "")
        assert page.inner_text("#decide-forcing") == (
            "Forcing past Aino's limit (payload): say why in the reason, then Confirm."
        )
        assert page.evaluate("document.activeElement.id") == "decide-reason"
        page.click("#decide-confirm")
        assert page.inner_text("#decide-error") == "Say why you force past the limit: the log keeps it."
        assert not sent
        # choosing another line takes the force back; forcing again and a reason: sent with force
        page.check(f"#decide-to-{veera}")
        assert page.is_disabled(f"#decide-to-{aino}") and page.is_hidden("#decide-forcing")
        page.click(force)
        assert serious(page) == []  # the dialog while forcing: nothing critical or serious for axe
        page.fill("#decide-reason", "Aino's trailer takes 60 kg today")
        page.click("#decide-confirm")
        page.wait_for_selector("#decide-dialog:not([open])", state="attached")
        assert [(b["action"], b["courier_id"], b["force"]) for b in sent] == [("override", aino, True)], sent
        page.wait_for_selector(f".lane[data-courier-id='{aino}'] .chip[data-job-id='{job}']")
    after = httpx.get(f"{d.server.url}/v1/jobs/{job}", headers=d.auth, timeout=30).json()
    assert (after["state"], after["courier_id"]) == ("assigned", aino), after


def _heavy_job_given_to(d: Desk, courier: str, decision: dict[str, Any]) -> str:
    """A new 49 kg job that Sami gives ``courier`` (``decision``: its reason, force...); its id."""
    job = create_delivery(d.server.url, d.world, weight_kg=49.0)
    r = httpx.post(
        f"{d.server.url}/v1/jobs/{job}/decisions",
        json={"action": "override", "courier_id": courier, **decision},
        headers=d.sami,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return job


def _open_reassign(page: Any, d: Desk, holder: str, job: str) -> None:
    """Log in and open the reassign dialog of ``job`` from its chip on ``holder``'s lane (key "o")."""
    w = d.world
    console_log_in(page, d.server.url, w.coop_id, w.dispatcher_login, w.dispatcher_password)
    page.click(f".lane[data-courier-id='{holder}'] .chip[data-job-id='{job}']")
    page.keyboard.press("o")
    page.wait_for_selector("#decide-dialog[open]")


def test_a_reassignment_past_a_limit_names_it_and_needs_a_reason(desk: Desk) -> None:
    """Moving a job someone has to a courier whose vehicle cannot take it: the cost says the
    refusal, the force checkbox names the limit, and Confirm asks for a reason before sending
    ``force`` (the API's ``forced_needs_reason`` used to come back as an error after the request)."""
    d, w = desk, desk.world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    _back_from_pause(d, veera)  # a paused courier's jobs are not costed
    job = _heavy_job_given_to(d, veera, {"reason": "cargo bike"})
    with browser((1440, 900)) as page:
        sent = _decisions_sent(page)
        _open_reassign(page, d, veera, job)
        assert page.input_value("#decide-reason") == ""  # the key that opened it is not typed in it
        page.check(f"#decide-to-{aino}")
        page.wait_for_selector("#decide-cost.refusal")
        assert page.inner_text("#decide-force-row").strip() == "Force past this limit (payload)"
        page.check("#decide-force")
        _confirmed_only_with_a_reason(page, sent, "Aino's trailer")
        assert [(b["action"], b["courier_id"], b["force"]) for b in sent] == [("reassign", aino, True)], sent
    after = httpx.get(f"{d.server.url}/v1/jobs/{job}", headers=d.auth, timeout=30).json()
    assert (after["state"], after["courier_id"]) == ("assigned", aino), after


def test_a_force_ticked_for_one_courier_never_forces_another(desk: Desk) -> None:
    """The reassign dialog's force box belongs to the courier whose limit it names. What was wrong:
    ticked for Ilmari (off shift), then Veera chosen (no limit), the row hid but the box stayed
    ticked, so Confirm asked "Say why you force past the limit" for a plain move; and confirmed
    before Veera's cost came back, it sent ``force: true`` for a limit nobody was shown."""
    d, w = desk, desk.world
    aino, veera, ilmari = (w.couriers[n][0] for n in ("Aino", "Veera", "Ilmari"))
    _back_from_pause(d, veera)
    job = _heavy_job_given_to(d, aino, {"reason": "trailer", "force": True})
    cost_of = "document.querySelector('#decide-cost').textContent"
    with browser((1440, 900)) as page:
        sent = _decisions_sent(page)
        _open_reassign(page, d, aino, job)
        page.check(f"#decide-to-{ilmari}")  # ticked for Ilmari, then Veera chosen: unticked and hidden
        page.wait_for_selector("#decide-cost.refusal")
        page.check("#decide-force")
        page.check(f"#decide-to-{veera}")
        page.wait_for_selector("#decide-cost:not(.refusal)")
        page.wait_for_function(f"!{cost_of}.includes('…') && {cost_of}.length > 0")
        assert page.is_hidden("#decide-force-row") and not page.is_checked("#decide-force")

        # Ilmari again: shown unticked; ticked, and Confirm on Veera before her cost comes back
        page.check(f"#decide-to-{ilmari}")
        page.wait_for_selector("#decide-cost.refusal")
        assert page.is_visible("#decide-force-row") and not page.is_checked("#decide-force")
        page.check("#decide-force")
        held: list[Route] = []

        def hold(route: Route) -> None:  # a bound method cannot be a Playwright handler
            held.append(route)

        page.route(re.compile(rf"/override-cost\?courier_id={veera}"), hold)
        page.check(f"#decide-to-{veera}")
        page.fill("#decide-reason", "Veera is nearer")
        page.click("#decide-confirm")
        page.wait_for_selector("#decide-dialog:not([open])", state="attached")
        for route in held:
            route.abort()
        assert [(b["action"], b["courier_id"], b["force"]) for b in sent] == [("reassign", veera, False)], sent
    after = httpx.get(f"{d.server.url}/v1/jobs/{job}", headers=d.auth, timeout=30).json()
    assert (after["state"], after["courier_id"]) == ("assigned", veera), after


def test_an_off_shift_line_is_forced_through_its_own_button_that_names_the_shift(desk: Desk) -> None:
    """Outside tester's M5: the API took an override to a courier off shift without force or a
    reason, and the dialog offered that line as any other. Now the API answers 409 without force,
    and the line is a refusal as a physical limit's is: never chosen for the dispatcher, its own
    button names the shift ("Force past this limit (not on shift)", in French too), and Confirm
    asks for a reason before sending ``force``. (Last in the module: Ilmari is given a job.)"""
    d, w = desk, desk.world
    ilmari = w.couriers["Ilmari"][0]
    job = create_delivery(d.server.url, w, weight_kg=4.0)
    force = f"{_line(ilmari)} .force-limit"
    with browser((1440, 900)) as page:
        sent = _decisions_sent(page)
        words = _force_words(page, d, job, force)
        assert words == ("Forcer malgré cette limite (hors service)", "Force past this limit (not on shift)"), words
        line = page.get_attribute(_line(ilmari), "class") or ""
        assert "refused" in line and "away" in line, line
        assert page.inner_text(f"{_line(ilmari)} .refusal").startswith("Ilmari cannot take it: Ilmari is not on shift")
        assert page.is_disabled(f"#decide-to-{ilmari}") and not page.is_checked(f"#decide-to-{ilmari}")
        chosen = page.eval_on_selector("#decide-couriers input:checked", "e => e.value")
        assert chosen and chosen != ilmari, chosen  # someone on shift is offered first
        page.click(f"{_line(ilmari)} td.opt-load")  # a click on the line does not choose it
        assert not page.is_checked(f"#decide-to-{ilmari}")

        page.click(force)
        assert page.is_checked(f"#decide-to-{ilmari}")
        assert page.inner_text("#decide-forcing") == (
            "Forcing past Ilmari's limit (not on shift): say why in the reason, then Confirm."
        )
        _confirmed_only_with_a_reason(page, sent, "Ilmari starts at the shop in ten minutes")
        assert [(b["action"], b["courier_id"], b["force"], b["reason"]) for b in sent] == [
            ("override", ilmari, True, "Ilmari starts at the shop in ten minutes")
        ], sent
        # a job dropped on his lane (still off shift) chooses nobody for the dispatcher: Confirm
        # alone must not give it to a colleague they did not pick (second outside attack, M2)
        other = create_delivery(d.server.url, w, weight_kg=3.0)
        page.wait_for_selector(f"#jobs .job[data-job-id='{other}']")
        page.drag_and_drop(f"#jobs .job[data-job-id='{other}']", f".lane[data-courier-id='{ilmari}']")
        page.wait_for_selector(f"{_line(ilmari)} .force-limit")
        assert page.eval_on_selector_all("#decide-couriers input:checked", "es => es.length") == 0
        page.click("#decide-confirm")
        assert page.inner_text("#decide-error") == "Choose a courier in the table first."
        assert len(sent) == 1, sent  # nothing more was sent
        page.click("#decide-cancel")
    after = httpx.get(f"{d.server.url}/v1/jobs/{job}", headers=d.auth, timeout=30).json()
    assert (after["state"], after["courier_id"]) == ("assigned", ilmari), after

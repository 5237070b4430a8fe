"""The console in French after a small day's events: no English reason left on the page (issue 17).

Real server, real Chromium. Two bike couriers on shift, a cargo-bike courier at home: four light
jobs get proposals with their explanations, a 60 kg job nobody on shift can carry is withheld
with its reason, and the override dialog states a cost and a physical limit. The test opens every
job's reasons and the dialog, walks the visible text of the page, and looks for the fixed parts of
every English reason template (``api/i18n.py``): none may be left, and the French ones must be there.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.i18n import TEMPLATES
from tests.api.harness import Server, Socket, World, delivery_body, login, make_world
from tests.console.browser import browser, console_log_in, shot

ON_SHIFT = ("Aino", "Ilmari")  #: both on bikes (25 kg): the 60 kg job waits for a person
HEAVY_KG = 60.0


def english_fragments() -> list[str]:
    """The fixed parts of every English template long enough to be a phrase (three words or more),
    which no French template shares."""
    french = " ".join(TEMPLATES["fr"].values())
    parts = {part.strip(" ;:,().") for template in TEMPLATES["en"].values() for part in re.split(r"\{\w+\}", template)}
    return sorted(p for p in parts if len(p.split()) >= 3 and p not in french)


@dataclass
class Day:
    server: Server
    world: World
    heavy: str  #: the job nobody on shift can carry
    light: list[str]


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    url = f"sqlite:///{tmp_path_factory.mktemp('french') / 'tandem.db'}"
    world = make_world(url, riders=(("Ilmari", "bike"),))
    server = Server(url, planning_budget_s="0.5").start()
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    def run(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    sockets: list[Socket] = []
    try:
        for name in ON_SHIFT:
            _, user, password = world.couriers[name]
            token = login(server.url, world.coop_id, user, password)
            sock = run(Socket.open(f"{server.ws_url}/v1/courier/ws", token))
            assert run(sock.act("shift_start", f"start-{name}"))["type"] == "result"
            sockets.append(sock)
        client = {"Authorization": f"Bearer {world.client_key}"}
        ids = []
        for minutes, kg in ((0, 3.0), (10, 4.0), (20, 2.0), (30, 5.0), (0, HEAVY_KG)):
            r = httpx.post(f"{server.url}/v1/deliveries", json=delivery_body(minutes, kg), headers=client, timeout=30)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        auth = {"Authorization": f"Bearer {desk}"}
        r = httpx.post(f"{server.url}/v1/planning/rounds?wait=true", headers=auth, timeout=120)
        assert r.status_code == 200 and r.json()["done"], r.text
        yield Day(server, world, ids[-1], ids[:-1])
    finally:
        for sock in sockets:
            sock.conn.close_timeout = 0.5
            run(sock.close())
        loop.call_soon_threadsafe(loop.stop)
        server.stop()


def visible_text(page: Any) -> str:
    """Every text node a person can see: rendered, not hidden, in the page or an open dialog."""
    return str(
        page.evaluate(
            """() => {
              const out = [];
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const el = node.parentElement;
                if (!el || !node.textContent.trim() || el.closest('script, style, [hidden]')) continue;
                const box = el.getBoundingClientRect();
                const style = getComputedStyle(el);
                if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
                out.push(node.textContent.trim());
              }
              return out.join('\\n');
            }"""
        )
    )


def test_the_english_templates_leave_phrases_to_look_for() -> None:
    fragments = english_fragments()
    assert len(fragments) >= 30, fragments
    assert (
        "min of riding and handling to" in fragments
        and "declined it earlier today, so it goes to someone else" in fragments
    )


def test_in_french_no_english_reason_is_left_on_the_console(day: Day) -> None:
    w = day.world
    aino = w.couriers["Aino"][0]
    with browser((1440, 900)) as page:
        page.add_init_script("localStorage.setItem('tandem.lang', 'fr')")
        console_log_in(page, day.server.url, w.coop_id, w.dispatcher_login, w.dispatcher_password)
        page.wait_for_selector(f"#jobs .job[data-job-id='{day.heavy}'] .needs-decision")
        page.wait_for_function(
            f"document.querySelectorAll('#jobs .job[data-state=proposed]').length === {len(day.light)}"
        )
        # every job's reasons open
        for button in page.locator("#jobs button[data-act=why]").all():
            button.click()
        page.wait_for_selector(f"#why-{day.light[0]} .reason")
        text = visible_text(page)
        assert f"aucun véhicule en service ne peut porter {HEAVY_KG:g} kg" in text, text
        assert "de trajet et de manutention à la tournée de" in text, text

        # the override dialog: a cost, then a physical limit, both in French with names, not ids
        page.click(f"#jobs .job[data-job-id='{day.light[0]}'] button[data-act=override]")
        page.wait_for_selector("#decide-dialog[open]")
        page.wait_for_function("!document.querySelector('#decide-couriers').textContent.includes('…')")
        page.wait_for_function(
            "/ajoute .* min à la tournée de/.test(document.querySelector('#decide-couriers').textContent)"
        )
        cost_text = visible_text(page)
        page.click("#decide-cancel")
        page.click(f"#jobs .job[data-job-id='{day.heavy}'] button[data-act=override]")
        page.wait_for_selector("#decide-dialog[open]")
        refusal = page.inner_text(f"#decide-couriers tr[data-courier-id='{aino}'] .refusal")
        assert f"{HEAVY_KG:g} kg dépasse la charge utile de 25 kg (vélo de Aino)" in refusal, refusal
        shot(page, "french-reasons")
        text += "\n" + cost_text + "\n" + visible_text(page)

    left = [fragment for fragment in english_fragments() if fragment in text]
    assert not left, left
    assert not re.search(r"\b[0-9a-f]{8}-[0-9a-f]{4}-", text), "an id on the page instead of a name"

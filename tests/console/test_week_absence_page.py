"""The week page in a real browser against a real server (issue 23, absences): a dispatcher
publishes a rota, records that a courier cannot come, sees who could cover with the reason
(how many times each covered lately, never a score), picks one, and the rota shows the cover; an
absence on a rota a colleague changed since the page read it is refused, saying so."""

from __future__ import annotations

import httpx

from tests.api.harness import Server, World, login
from tests.console import test_week_page
from tests.console.browser import browser, shot, wait_until

#: The same served week as the rota's browser test (three couriers free 10-16 on weekdays).
served = test_week_page.served


def test_a_dispatcher_publishes_a_rota_and_handles_an_absence(served: tuple[Server, World]) -> None:
    server, world = served
    with browser() as page:
        test_week_page.publish_on_the_week_page(page, server, world)
        first = page.locator("#shifts li.shift").first
        absent_id = first.get_attribute("data-shift")
        absent_name = first.locator("strong").inner_text()
        first.locator("select[data-field=absence-reason]").select_option("sick")
        first.locator("button[data-act=absent]").click()
        shift = page.locator(f'li.shift[data-shift="{absent_id}"]')
        wait_until(page, f"!!document.querySelector('li[data-shift=\"{absent_id}\"] .covers li')")
        assert "absent (sick)" in shift.locator(".tag.absent").inner_text()
        covers = shift.locator(".covers li")
        assert covers.count() >= 1
        for i in range(covers.count()):
            assert "covered 0 times in the last 28 days" in covers.nth(i).inner_text()
            assert absent_name not in covers.nth(i).locator("strong").inner_text()
        shot(page, "week-03-absence-covers")
        cover_name = covers.first.locator("strong").inner_text()
        covers.first.locator("button[data-act=cover]").click()
        wait_until(page, f"!!document.querySelector('li[data-shift=\"{absent_id}\"] .tag.covered')")
        assert f"covered by {cover_name}" in shift.locator(".tag.covered").inner_text()
        cover_shift = page.locator("#shifts li.shift", has=page.locator(".tag.cover"))
        assert cover_shift.count() == 1 and cover_name in cover_shift.locator("strong").inner_text()
        assert "covers for" in cover_shift.locator(".why").inner_text()
        shot(page, "week-04-absence-covered")
        # A colleague opens a draft behind this page's back: its next absence is refused as stale
        # (the page sends the week's rota_seq as expected_seq), not recorded over their change.
        token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        headers = {"Authorization": f"Bearer {token}"}
        seen = httpx.get(f"{server.url}/v1/week", headers=headers, timeout=30).json()
        edit = {"week": seen["week"], "action": "remove", "shift_id": cover_shift.get_attribute("data-shift")}
        assert httpx.post(f"{server.url}/v1/week/edits", json=edit, headers=headers, timeout=30).status_code == 200
        page.locator("#shifts li.shift", has=page.locator("button[data-act=absent]")).first.locator(
            "button[data-act=absent]"
        ).click()
        wait_until(page, "document.querySelector('#week-error').textContent.includes('changed since you looked')")
    week = httpx.get(f"{server.url}/v1/week", headers=headers, timeout=30).json()
    by_id = {s["id"]: s for s in week["published"]["shifts"]}
    assert by_id[absent_id]["absent"] == "sick" and by_id[absent_id]["covered_by"]
    assert [s["cover_for"] for s in by_id.values() if s.get("cover_for")] == [absent_id]
    events = httpx.get(f"{server.url}/v1/events", headers=headers, timeout=30).json()["events"]
    assert [e["type"] for e in events if e["type"] in ("AbsenceRecorded", "CoverAssigned")] == [
        "AbsenceRecorded",
        "CoverAssigned",
    ]

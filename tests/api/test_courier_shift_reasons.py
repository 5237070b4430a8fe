"""A courier's own shifts say what happened to them without a dispatcher's words (second outside
attack, 2026-12-06: a colleague's swap, confirmed with a reason, showed that reason to the courier
who received the shift in /v1/week/mine)."""

from __future__ import annotations

from api.sockets import shifts_for_courier


def test_a_swapped_shift_says_it_was_swapped_not_the_dispatchers_words() -> None:
    shifts = [
        {
            "id": "s1",
            "courier_id": "aino",
            "day": 0,
            "start_h": 10,
            "end_h": 14,
            "why": [{"code": "rota_swapped_because", "params": {"why": "SECRET: Lou is unreliable"}}],
        },
        {
            "id": "s2",
            "courier_id": "aino",
            "day": 1,
            "start_h": 10,
            "end_h": 14,
            "why": [{"code": "rota_covers_for", "params": {"courier": "lou", "absence": "sick"}}],
        },
        {"id": "s3", "courier_id": "lou", "day": 2, "start_h": 10, "end_h": 14, "why": []},
    ]
    seen = shifts_for_courier(shifts, "aino")
    assert [s["id"] for s in seen] == ["s1", "s2"]
    assert seen[0]["why"] == [{"code": "rota_swapped", "params": {}}]
    assert seen[1]["why"] == [{"code": "rota_covers_colleague", "params": {"courier": "lou"}}]
    assert "SECRET" not in repr(seen) and "sick" not in repr(seen)

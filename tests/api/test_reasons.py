"""Reasons as data, said in the reader's language (issue 17).

Every code of the registry (``routing/reasons.py``) has English and French words that use each
of its parameters; the API sends ``{code, params, text}`` with the text in the language
``Accept-Language`` asks for and courier names, never ids; an old event's sentence is sent as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.i18n import LANGUAGES, TEMPLATES, WORDS, language, localize, render
from api.settings import Settings
from dispatch import commands as do
from dispatch.store import Store
from routing.reasons import CODES, Kind, Reason, from_json, reason
from tests.api.harness import World, delivery_body, make_world

#: A value per kind that shows where it went in the words (each distinct in a rendering).
SAMPLES: dict[Kind, Any] = {
    Kind.MINUTES: 12.3,
    Kind.WHOLE_MINUTES: 47,
    Kind.KG: 61.5,
    Kind.LITRES: 73,
    Kind.CM: 148,
    Kind.SHARE: 0.42,
    Kind.COUNT: 9,
    Kind.COURIER: "c-1",
    Kind.COURIERS: ("c-1", "c-2"),
    Kind.VEHICLE: "e_cargo_bike",
    Kind.PLACE: "dropoff",
    Kind.TEXT: "rain; puncture",
    Kind.ABSENCE: "sick",
    Kind.KM: 4.2,
    Kind.DECIMAL: 5.6,
    Kind.WEEKDAY: "thursday",
}
NAMES = {"c-1": "Aino", "c-2": "Veera"}


def expected(kind: Kind, lang: str) -> str:
    """How a sample value must read once said (decimal comma and spaced percent in French)."""
    value = SAMPLES[kind]
    plain = {
        Kind.MINUTES: "12.3",
        Kind.WHOLE_MINUTES: "47",
        Kind.KG: "61.5",
        Kind.LITRES: "73",
        Kind.CM: "148",
        Kind.SHARE: "42%",
        Kind.COUNT: "9",
        Kind.COURIER: "Aino",
        Kind.COURIERS: "Aino, Veera",
        Kind.TEXT: "rain; puncture",
        Kind.KM: "4.2",
        Kind.DECIMAL: "5.6",
    }.get(kind)
    if plain is None:
        return WORDS[lang][str(value)]
    return plain.replace(".", ",").replace("%", " %") if lang == "fr" else plain


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_is_said_in_each_language_with_every_parameter(lang: str) -> None:
    assert set(TEMPLATES[lang]) == set(CODES), set(TEMPLATES[lang]) ^ set(CODES)
    for code, kinds in CODES.items():
        used = set(re.findall(r"\{(\w+)\}", TEMPLATES[lang][code]))
        assert used == set(kinds), f"{lang} {code}: uses {sorted(used)}, takes {sorted(kinds)}"
        sample = Reason(code, {p: SAMPLES[k] for p, k in kinds.items()})
        text = render(sample.to_json(), lang, NAMES)
        assert "{" not in text and "c-1" not in text, text
        for p, k in kinds.items():
            assert expected(k, lang) in text, f"{lang} {code}: {p} not said as {expected(k, lang)!r} in {text!r}"


def test_the_french_words_are_not_the_english_ones() -> None:
    same = [code for code in CODES if CODES[code] and TEMPLATES["fr"][code] == TEMPLATES["en"][code]]
    assert not same, same
    assert WORDS["fr"].keys() == WORDS["en"].keys()


def test_a_reason_is_checked_against_the_registry_and_read_back_from_the_log() -> None:
    with pytest.raises(ValueError, match="unknown reason code"):
        reason("too_heavy_maybe", kg=3)
    with pytest.raises(ValueError, match="takes"):
        reason("too_heavy", litres=3)
    declined = reason("declined_by", couriers=("c-1", "c-2"))
    assert from_json(declined.to_json()) == declined
    assert declined.to_json() == {"code": "declined_by", "params": {"couriers": ["c-1", "c-2"]}}


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "en"),
        ("", "en"),
        ("fr", "fr"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE,fr;q=0.5,en;q=0.9", "en"),
        ("de, fr;q=0.1", "fr"),
        ("en-GB, fr", "en"),
        ("fr;q=nonsense, *", "en"),
    ],
)
def test_the_language_comes_from_accept_language(header: str | None, lang: str) -> None:
    assert language(header) == lang


def test_an_old_events_text_is_said_as_it_is() -> None:
    old = {"reasons": ["adds 3.0 min of riding and handling to Aino's route"], "reason": "no courier is on shift"}
    assert localize(old, "fr") == old
    assert render("no courier is on shift", "fr") == "no courier is on shift"


# -- through the API ------------------------------------------------------------------------------


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    app = create_app(Settings(database_url=url, redis_url=None, auto_plan=False, planning_budget_s=0.5))
    with TestClient(app) as client:
        body = {"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": world.dispatcher_password}
        token = client.post("/v1/auth/login", json=body).json()["token"]
        yield client, world, store, {"Authorization": f"Bearer {token}"}
    store.close()


def test_the_api_says_reasons_in_french_when_asked_and_keeps_the_codes(
    desk: tuple[TestClient, World, Store, dict[str, str]],
) -> None:
    client, world, store, auth = desk
    aino = world.couriers["Aino"][0]  # on a bike (25 kg); Veera's cargo bike stays at home
    now = datetime.now(UTC)
    do.start_shift(store, world.coop_id, aino, at=now, planned_end=now + timedelta(hours=4))
    shop = {"Authorization": f"Bearer {world.client_key}"}
    light = client.post("/v1/deliveries", json=delivery_body(weight_kg=3.0), headers=shop).json()["id"]
    heavy = client.post("/v1/deliveries", json=delivery_body(weight_kg=60.0), headers=shop).json()["id"]
    r = client.post("/v1/planning/rounds?wait=true", headers=auth)
    assert r.status_code == 200 and r.json()["done"], r.text
    fr = {**auth, "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}

    withheld = client.get(f"/v1/jobs/{heavy}", headers=fr).json()["needs_decision"]
    assert withheld == {
        "code": "too_heavy",
        "params": {"kg": 60.0},
        "text": "aucun véhicule en service ne peut porter 60 kg",
    }
    english = client.get(f"/v1/jobs/{heavy}", headers=auth).json()["needs_decision"]
    assert english["text"] == "no vehicle on shift can carry 60 kg"

    proposal = client.get(f"/v1/jobs/{light}", headers=fr).json()["proposal"]
    first = proposal["explanation"]["reasons"][0]
    assert first["code"] == "adds_minutes" and first["params"]["courier"] == aino
    assert first["text"].startswith("ajoute ") and first["text"].endswith("à la tournée de Aino"), first
    assert all(aino not in r["text"] for r in proposal["explanation"]["reasons"])

    cost = client.get(f"/v1/jobs/{heavy}/override-cost", params={"courier_id": aino}, headers=fr).json()
    assert [b["text"] for b in cost["breaks"]] == ["60 kg dépasse la charge utile de 25 kg (vélo de Aino)"]
    assert cost["summary"][0]["code"] == "override_adds" and cost["summary"][0]["text"].startswith("ajoute ")

    state = client.get("/v1/console/state", headers=fr).json()
    assert next(j for j in state["jobs"] if j["id"] == heavy)["needs_decision"] == withheld

    events = client.get("/v1/events", headers=fr).json()["events"]
    [said] = [e["payload"]["reason"] for e in events if e["type"] == "ProposalWithheld"]
    assert said["text"] == withheld["text"]

    catalogue = client.get("/v1/reasons", headers=auth).json()
    assert set(catalogue["codes"]) == set(CODES) and catalogue["templates"]["fr"] == TEMPLATES["fr"]


def test_an_old_withheld_sentence_is_sent_as_it_was_written(
    desk: tuple[TestClient, World, Store, dict[str, str]],
) -> None:
    client, world, store, auth = desk
    shop = {"Authorization": f"Bearer {world.client_key}"}
    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    old = "no courier is on shift"  # as a round wrote it before reasons were data
    do.withhold(store, world.coop_id, job, reason=old, at=datetime.now(UTC))
    answer = client.get(f"/v1/jobs/{job}", headers={**auth, "Accept-Language": "fr"}).json()
    assert answer["needs_decision"] == old


def test_a_quote_s_lines_come_in_the_client_s_language_with_their_codes(
    desk: tuple[TestClient, World, Store, dict[str, str]],
) -> None:
    """The price's lines are codes with their figures (dispatch/pricing.py); the client's
    ``Accept-Language`` picks the words of each line's label, for a quote and for a delivery."""
    client, world, _, _ = desk
    shop = {"Authorization": f"Bearer {world.client_key}"}
    body = {**delivery_body(weight_kg=30.0), "urgency": "express"}
    english = client.post("/v1/quotes", json=body, headers=shop).json()["quote"]
    french = client.post("/v1/quotes", json=body, headers={**shop, "Accept-Language": "fr"}).json()["quote"]
    codes = [line["code"] for line in french["lines"]]
    assert codes == ["quote_base", "quote_weight", "quote_express"], french  # 1.2 km: no distance line
    assert [{k: v for k, v in line.items() if k != "label"} for line in english["lines"]] == [
        {k: v for k, v in line.items() if k != "label"} for line in french["lines"]
    ]
    assert [line["label"] for line in english["lines"]] == [
        "base fare",
        "weight 30 kg (band over 25 kg)",
        "express +50 %",
    ]
    assert [line["label"] for line in french["lines"]] == [
        "prise en charge",
        "poids 30 kg (tranche au-delà de 25 kg)",
        "supplément express +50 %",
    ]
    asked = client.post("/v1/deliveries", json=body, headers={**shop, "Accept-Language": "fr"})
    assert asked.status_code == 201 and asked.json()["quote"]["lines"] == french["lines"], asked.text

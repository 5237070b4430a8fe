"""Small holes, each closed: idempotency keys per client, 64-bit sequence numbers, a true Allow
header, dates that are dates, and listings that read only what they return."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from api.app import create_app
from api.settings import Settings
from dispatch import commands
from dispatch.events import Actor, ActorKind, EventType, NewEvent
from dispatch.model import JobRequest, Role
from dispatch.projections import JobView
from dispatch.store import Store
from dispatch.store import webhooks as hooks
from dispatch.store.schema import ClientRow, CooperativeRow, WebhookCursorRow
from tests.api.harness import World, delivery_body, make_world

BIG = 2**40


@dataclass
class App:
    client: TestClient
    store: Store
    world: World
    key_a: dict[str, str]
    key_b: dict[str, str]
    client_a: str
    client_b: str
    member: dict[str, str]


def _client_of(store: Store, coop_id: str, name: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(
                select(ClientRow.id).where(ClientRow.cooperative_id == coop_id, ClientRow.name == name)
            ).scalar_one()
        )


def _app(url: str) -> Iterator[App]:
    world = make_world(url)
    store = Store.open(url)
    client_b, key_b = store.add_client(world.coop_id, "Toinen kauppa")
    _, password = store.add_member(world.coop_id, Role.ANALYST, "Analyst", f"analyst-{world.coop_id[:6]}")
    settings = Settings(database_url=url, redis_url=None, auto_plan=False, webhook_allow_http=True)
    with TestClient(create_app(settings)) as client:
        token = client.post(
            "/v1/auth/login",
            json={"cooperative_id": world.coop_id, "login": f"analyst-{world.coop_id[:6]}", "password": password},
        ).json()["token"]
        yield App(
            client,
            store,
            world,
            {"Authorization": f"Bearer {world.client_key}"},
            {"Authorization": f"Bearer {key_b}"},
            _client_of(store, world.coop_id, "Kukkakauppa"),
            client_b.id,
            {"Authorization": f"Bearer {token}"},
        )
    store.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    yield from _app(f"sqlite:///{tmp_path_factory.mktemp('holes') / 'tandem.db'}")


# ------------------------------------------------------------------ idempotency keys per client


def test_idempotency_keys_belong_to_one_client(app: App) -> None:
    key = f"order-{uuid.uuid4()}"
    body_a, body_b = delivery_body(), delivery_body(weight_kg=2)  # one body each: a retry resends it
    first = app.client.post("/v1/deliveries", json=body_a, headers={**app.key_a, "Idempotency-Key": key})
    assert first.status_code == 201, first.text
    other = app.client.post("/v1/deliveries", json=body_b, headers={**app.key_b, "Idempotency-Key": key})
    assert other.status_code == 201, "another client's same key is its own key: " + other.text
    assert other.json()["id"] != first.json()["id"]
    retry = app.client.post("/v1/deliveries", json=body_a, headers={**app.key_a, "Idempotency-Key": key})
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    again_b = app.client.post("/v1/deliveries", json=body_b, headers={**app.key_b, "Idempotency-Key": key})
    assert again_b.status_code == 200 and again_b.json()["id"] == other.json()["id"]
    reused = app.client.post(
        "/v1/deliveries", json=delivery_body(weight_kg=7), headers={**app.key_a, "Idempotency-Key": key}
    )
    assert reused.status_code == 409, reused.text
    assert key in reused.text and "client:" not in reused.text, "the client reads its own key, as sent"


def test_a_key_stored_before_keys_were_per_client_still_finds_its_job(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    try:
        client_a = _client_of(store, world.coop_id, "Kukkakauppa")
        client_b, _ = store.add_client(world.coop_id, "Toinen kauppa")
        request = JobRequest.from_json(delivery_body())
        # As the store held keys before: the key as sent, the hash of (client, request).
        body = request.to_json()
        legacy = store.record(
            NewEvent(
                cooperative_id=world.coop_id,
                at=datetime.now(UTC),
                actor=Actor(ActorKind.CLIENT, client_a),
                type=EventType.JOB_REQUESTED,
                payload={"job_id": str(uuid.uuid4()), "client_id": client_a, "request": body},
            ),
            idempotency_key="order-7",
            request_hash=hashlib.sha256(json.dumps([client_a, body], sort_keys=True).encode()).hexdigest(),
        )
        seq = store.events(world.coop_id)[-1].seq
        job, new = commands.submit_job(
            store, world.coop_id, client_a, request, at=datetime.now(UTC), idempotency_key="order-7"
        )
        assert new is None and job.id == legacy.event.payload["job_id"], "the retry finds the job of old"
        assert store.events(world.coop_id)[-1].seq == seq, "and writes nothing"
        theirs, new_b = commands.submit_job(
            store, world.coop_id, client_b.id, request, at=datetime.now(UTC), idempotency_key="order-7"
        )
        assert new_b is not None and theirs.id != job.id, "another client's same key is a new request"
    finally:
        store.close()


# ------------------------------------------------------------------ sequence numbers, Allow, dates


def test_after_seq_past_2_to_the_31_is_an_empty_page_on_sqlite(app: App) -> None:
    answer = app.client.get("/v1/events", params={"after_seq": BIG}, headers=app.member)
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"] == []


def test_sequence_numbers_pass_2_to_the_31_on_postgresql(pg_url: str) -> None:
    """The log, the jobs and the webhook cursor all hold sequence numbers past int4."""
    for each in _app(pg_url):
        page = each.client.get("/v1/events", params={"after_seq": BIG}, headers=each.member)
        assert page.status_code == 200, page.text
        assert page.json()["events"] == []
        hooks.register(each.store, each.world.coop_id, each.client_a, "http://127.0.0.1:9/hook", allow_http=True)
        with each.store.engine.begin() as conn:
            conn.execute(update(CooperativeRow).where(CooperativeRow.id == each.world.coop_id).values(last_seq=BIG))
            conn.execute(
                update(WebhookCursorRow)
                .where(WebhookCursorRow.cooperative_id == each.world.coop_id)
                .values(last_seq=BIG)
            )
        made = each.client.post("/v1/deliveries", json=delivery_body(), headers=each.key_a)
        assert made.status_code == 201, made.text
        assert each.store.events(each.world.coop_id, after_seq=BIG)[0].seq == BIG + 1
        assert each.store.job(each.world.coop_id, made.json()["id"]).last_seq == BIG + 1
        # the app's own sender may have queued it already (it runs in the background): either
        # way the cursor past int4 queues it exactly once
        assert hooks.enqueue_from_log(each.store, each.world.coop_id) in (0, 1)
        (row,) = hooks.deliveries_of(each.store, each.world.coop_id, each.client_a)
        assert row["event_seq"] == BIG + 1


def test_options_on_webhook_deliveries_allows_what_the_path_allows(app: App) -> None:
    answer = app.client.options("/v1/webhooks/deliveries", headers=app.key_a)
    assert answer.status_code == 405
    allowed = {m.strip() for m in answer.headers["allow"].split(",")}
    assert allowed == {"GET"}, allowed


@pytest.mark.parametrize("day", ["0", "1700000000", "-1", "2026-13-01", "2026-02-30", "yesterday", "20261204"])
def test_a_ledger_day_must_be_a_date(app: App, day: str) -> None:
    token = app.client.post(
        "/v1/auth/login",
        json={
            "cooperative_id": app.world.coop_id,
            "login": app.world.dispatcher_login,
            "password": app.world.dispatcher_password,
        },
    ).json()["token"]
    answer = app.client.get("/v1/ledger", params={"day": day}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422, f"day={day}: {answer.status_code} {answer.text[:200]}"
    assert "1970" not in answer.text
    assert "day" in answer.text
    good = app.client.get("/v1/ledger", params={"day": "2026-12-04"}, headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 200, good.text


# ------------------------------------------------------------------ listings


def test_a_listing_reads_only_what_it_returns(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    request = JobRequest.from_json(delivery_body())
    for _ in range(40):
        commands.request_job(app.store, app.world.coop_id, app.client_a, request, at=datetime.now(UTC))
    latest = commands.request_job(app.store, app.world.coop_id, app.client_a, request, at=datetime.now(UTC))
    read: list[str] = []
    original = JobView.from_json.__func__  # type: ignore[attr-defined]

    def counted(cls: type[JobView], data: dict[str, Any]) -> JobView:
        read.append(str(data.get("id")))
        return original(cls, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(JobView, "from_json", classmethod(counted))
    statements: list[str] = []
    engine = app.client.app.state.services.store.engine  # type: ignore[attr-defined]

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        answer = app.client.get("/v1/deliveries", params={"limit": 1}, headers=app.key_a)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert answer.status_code == 200, answer.text
    assert [d["id"] for d in answer.json()["deliveries"]] == [latest.id], "the latest changed first"
    assert len(read) <= 1, f"{len(read)} jobs read for a page of one"
    on_jobs = [s for s in statements if "FROM jobs" in s]
    assert on_jobs and all("LIMIT" in s for s in on_jobs), on_jobs

"""API keys looked up lately are trusted for a moment: a revocation still takes effect.

In the process that revokes (or rotates) a key at once; from another process (another worker,
an administrator's script: here a plain UPDATE, which this process does not hear of) within
the trust period. Unknown keys are never remembered.
"""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.settings import Settings
from dispatch.store import Store
from dispatch.store.access import (
    KnownKeys,
    Principal,
    cli_actor,
    revocations,
    revoke_client_key,
    rotate_client_key,
)
from dispatch.store.schema import ClientRow
from tests.api.harness import make_world

WHO = Principal("client", "coop", "client", "Kukkakauppa")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_trusted_for_its_time_and_until_a_revocation_here() -> None:
    clock = Clock()
    keys = KnownKeys(trust_s=2.0, clock=clock)
    keys.put("h1", WHO, revocations())
    clock.now = 1.9
    assert keys.get("h1") == WHO
    clock.now = 2.0
    assert keys.get("h1") is None  # looked up again from now on
    keys.put("h2", WHO, revocations() - 1)  # a lookup that began before the latest revocation
    assert keys.get("h2") is None


def test_it_keeps_at_most_its_size_dropping_the_oldest() -> None:
    keys = KnownKeys(size=2, clock=Clock())
    for digest in ("a", "b", "c"):
        keys.put(digest, WHO, revocations())
    assert keys.get("a") is None
    assert keys.get("b") == keys.get("c") == WHO


def _client_id(store: Store, key: str) -> str:
    client = store.client_by_api_key(key)
    assert client is not None
    return client.id


def test_revocations_take_effect_here_at_once_and_elsewhere_within_the_trust(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False))) as client:
        svc = client.app.state.services  # type: ignore[attr-defined]
        svc.keys = KnownKeys(trust_s=0.5)

        def status(key: str) -> int:
            return client.get("/v1/deliveries", headers={"Authorization": f"Bearer {key}"}).status_code

        # a rotation in this process: the old key is refused at once, the new one admitted
        assert status(world.client_key) == 200
        new_key, _ = rotate_client_key(store, world.coop_id, _client_id(store, world.client_key), by=cli_actor())
        assert status(world.client_key) == 401
        assert status(new_key) == 200
        # another process revokes: this worker trusts what it found for at most the trust period
        client_id = _client_id(store, new_key)
        with store.engine.begin() as conn:
            conn.execute(update(ClientRow).where(ClientRow.id == client_id).values(revoked_at=ClientRow.created_at))
        time.sleep(0.6)
        assert status(new_key) == 401
        # and a revocation in this process of a key trusted a moment ago: at once
        with store.engine.begin() as conn:
            conn.execute(update(ClientRow).where(ClientRow.id == client_id).values(revoked_at=None))
        assert status(new_key) == 200
        revoke_client_key(store, world.coop_id, client_id, by=cli_actor())
        assert status(new_key) == 401
        assert len(svc.keys) == 0  # refused keys are not remembered
    store.close()

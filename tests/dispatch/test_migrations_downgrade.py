"""Migrations go down and back up with data in place (issue 16 review): a downgrade that an
operator runs to go back to the previous version must work on a database in use, where
couriers, clients, events and planning leases point at the cooperatives.

On SQLite with foreign keys on, 0006's first downgrade rebuilt ``cooperatives`` (a batch drop of
its columns) and ``DROP TABLE cooperatives`` was refused: FOREIGN KEY constraint failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, insert, inspect, select

from dispatch.model import Vehicle
from dispatch.store import Store
from dispatch.store.access import cli_actor, revoke_client_key
from dispatch.store.cooperatives import cooperative_city
from dispatch.store.migrate import alembic_config, upgrade
from dispatch.store.schema import ClientRow, CooperativeRow, CourierRow, EventRow, PlanningLeaseRow

from .conftest import T0, fresh_url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_url(request.param, tmp_path, "tandem_downgrade")


def _downgrade(store: Store, revision: str) -> None:
    config = alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            row.__tablename__: int(conn.execute(select(func.count()).select_from(row)).scalar_one())
            for row in (CooperativeRow, CourierRow, ClientRow, EventRow)
        }


def test_head_down_to_0005_and_up_again_keeps_every_row(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TANDEM_CITY", raising=False)
    store = Store.open(url)
    try:
        coop = store.create_cooperative("Vélo Lille", city="helsinki", short_name="velo-lille")
        other = store.create_cooperative("Pyörä Osuuskunta")
        store.add_courier(coop.id, "Aino", Vehicle.of_kind("cargo_bike"))
        bakery, _ = store.add_client(coop.id, "Bakery")
        store.add_client(other.id, "Florist")
        revoke_client_key(store, coop.id, bakery.id, by=cli_actor())  # an event in the log
        with store.engine.begin() as conn:  # a planner's lease on each cooperative
            for c in (coop, other):
                conn.execute(
                    insert(PlanningLeaseRow).values(
                        cooperative_id=c.id,
                        owner="planner-1",
                        expires_at=T0 + timedelta(seconds=10),
                        planned_seq=0,
                        asked=1,
                        answered=0,
                        outcome=None,
                    )
                )
        before = _counts(store)
        assert before["couriers"] == 1 and before["clients"] == 2 and before["events"] == 1

        _downgrade(store, "0005")
        with store.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("cooperatives")}
            tables = set(inspect(conn).get_table_names())
        assert "city" not in columns and "short_name" not in columns
        assert "planning_leases" not in tables
        assert _counts(store) == before

        upgrade(store.engine)
        assert _counts(store) == before
        with store.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(CooperativeRow.id, CooperativeRow.short_name))}
            couriers = conn.execute(select(CourierRow.cooperative_id, CourierRow.display_name)).all()
        assert rows[coop.id].short_name == "velo-lille"  # made from the name again
        assert rows[other.id].short_name == "pyora-osuuskunta"
        assert [(c.cooperative_id, c.display_name) for c in couriers] == [(coop.id, "Aino")]
        assert store.cooperative(coop.id).name == "Vélo Lille"
        with store.engine.connect() as conn:
            assert cooperative_city(conn, coop.id) == "helsinki"
        # and the schema works as before: a new cooperative and courier
        third = store.create_cooperative("Kuriiri")
        store.add_courier(third.id, "Noor", Vehicle.of_kind("bike"))
    finally:
        store.close()


def test_no_migration_imports_the_applications_code() -> None:
    """A migration means the same thing forever: what it needs of the application (a short
    name's derivation, the default city) is copied into it, never imported."""
    import ast

    from dispatch.store.migrate import MIGRATIONS

    importing = []
    for path in sorted((MIGRATIONS / "versions").glob("0*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            importing += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("dispatch", "routing", "api")]
    assert not importing, importing


def test_the_copied_short_name_derivation_still_agrees_with_the_applications() -> None:
    import importlib

    from dispatch.store import cooperatives

    frozen = importlib.import_module("dispatch.store.migrations.versions.0006_coop_city_short_name")
    for name in ("Vélo Lille", "Pyörä Osuuskunta", "42", "Les Coursiers Solidaires de la Métropole Lilloise"):
        assert frozen.derived_short_name(name) == cooperatives.derived_short_name(name)
    assert frozen.unique_short_name("Vélo Lille", {"velo-lille"}.__contains__) == "velo-lille-2"

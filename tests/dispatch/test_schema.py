"""No column anywhere rates, scores, ranks or measures a courier; migrations match the models."""

from __future__ import annotations

import dataclasses
import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dispatch import ledger, model, projections
from dispatch.store import Store
from dispatch.store.schema import Base

FORBIDDEN = re.compile(r"rating|score|rank|acceptance|leaderboard|speed|performance|karma|stars?$", re.IGNORECASE)


def test_no_table_has_a_column_that_ranks_people(store: Store) -> None:
    columns = [(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns]
    assert len(columns) > 40
    inspector = inspect(store.engine)
    live = [(t, c["name"]) for t in inspector.get_table_names() for c in inspector.get_columns(t)]
    assert {t for t, _ in columns} <= {t for t, _ in live}
    offending = [f"{t}.{c}" for t, c in columns + live if FORBIDDEN.search(c) or FORBIDDEN.search(t)]
    assert offending == []


def test_no_domain_model_has_a_field_that_ranks_people() -> None:
    classes = [
        model.Courier,
        model.Vehicle,
        model.Cooperative,
        model.Client,
        model.Member,
        model.JobRequest,
        model.Parcel,
        ledger.LedgerEntry,
        projections.JobView,
        projections.CourierStatus,
    ]
    offending = [
        f"{cls.__name__}.{f.name}" for cls in classes for f in dataclasses.fields(cls) if FORBIDDEN.search(f.name)
    ]
    assert offending == []


def test_the_migrations_build_exactly_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []

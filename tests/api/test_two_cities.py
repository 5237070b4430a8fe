"""Each cooperative its city (issue 16): two cooperatives in two cities on one server, each
refusing the other's addresses and planning on its own streets, on PostgreSQL with two workers
and Redis; a login by the cooperative's short name; the migration that gives
cooperatives made before it the server's city and a short name."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from api.cities import Cities
from api.cli import app
from dispatch import commands
from dispatch.errors import InvalidInput
from dispatch.model import Role, Vehicle
from dispatch.store import Store
from dispatch.store.access import LoginFailed, log_in, set_courier_login
from dispatch.store.cooperatives import derived_short_name
from dispatch.store.migrate import upgrade
from dispatch.store.schema import CooperativeRow
from tests.api.harness import TLS, Server, delivery_body
from tests.routing.test_elevation import ANDORRA

runner = CliRunner()
#: Andorra la Vella to Escaldes, on streets a bike may ride (a few metres from them).
ANDORRA_PICKUP = {"lon": 1.5218, "lat": 42.5063, "address": "Plaça del Poble"}
ANDORRA_DROPOFF = {"lon": 1.5340, "lat": 42.5100, "address": "Avinguda Carlemany"}


@pytest.fixture(scope="module")
def andorra_imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory with Andorra imported by ``tandem city import`` (the default city is
    always there), in the environment of this test and of the servers it starts."""
    if not ANDORRA.is_file():
        pytest.skip("../shared/data/osm/andorra.osm.pbf is not here")
    data = tmp_path_factory.mktemp("tandem-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TANDEM_DATA_DIR", str(data))
        patch.delenv("TANDEM_CITY", raising=False)
        done = runner.invoke(app, ["city", "import", str(ANDORRA), "--name", "andorra"])
        assert done.exit_code == 0, done.output
        yield data


def andorra_body() -> dict[str, Any]:
    body = delivery_body()
    return {**body, "pickup": ANDORRA_PICKUP, "dropoff": ANDORRA_DROPOFF}


@dataclass
class Coop:
    id: str
    short_name: str
    key: str
    desk: tuple[str, str]  #: the dispatcher's login and password
    courier: tuple[str, str, str]  #: id, login, password


def create_coop(url: str, *args: str) -> dict[str, Any]:
    done = runner.invoke(app, ["admin", "create-coop", *args, "--database", url, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def people(url: str, made: dict[str, Any]) -> Coop:
    """A client, a dispatcher and a courier on shift (a bike) in the cooperative ``made``."""
    store = Store.open(url)
    try:
        coop_id = made["id"]
        courier = store.add_courier(coop_id, "Rider", Vehicle.of_kind("bike"))
        courier_login = f"rider-{coop_id[:6]}"
        secret = set_courier_login(store, coop_id, courier.id, courier_login)
        commands.start_shift(store, coop_id, courier.id, at=datetime.now(UTC))
        _, key = store.add_client(coop_id, "Shop")
        _, password = store.add_member(coop_id, Role.DISPATCHER, "Desk", f"desk-{coop_id[:6]}")
    finally:
        store.close()
    return Coop(
        coop_id, made["short_name"], key, (f"desk-{coop_id[:6]}", password), (courier.id, courier_login, secret)
    )


def token(http: httpx.Client, cooperative: str, login: str, password: str) -> str:
    answer = http.post("/v1/auth/login", json={"cooperative_id": cooperative, "login": login, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def inside(bounds: list[float], lon: float, lat: float) -> bool:
    return bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]


def proposed(http: httpx.Client, desk: dict[str, str], job_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """The job once the planner proposed it (auto-planning after its request)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = http.get(f"/v1/jobs/{job_id}", headers=desk).json()
        if job["state"] == "proposed":
            return job  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"no proposal for {job_id} within {timeout_s} s: {job}")


def check_coop_in_its_city(http: httpx.Client, coop: Coop, own: dict[str, Any], other: dict[str, Any]) -> None:
    """``own`` (a delivery body in the cooperative's city) is quoted, accepted, proposed to its
    courier and ridden on its streets; ``other`` (in the other city) is refused."""
    shop = {"Authorization": f"Bearer {coop.key}"}
    refused = http.post("/v1/quotes", json=other, headers=shop)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "outside_service_area"
    assert http.post("/v1/deliveries", json=other, headers=shop).status_code == 422
    quoted = http.post("/v1/quotes", json=own, headers=shop)
    assert quoted.status_code == 200, quoted.text
    assert 500 < quoted.json()["distance_m"] < 5000
    made = http.post("/v1/deliveries", json=own, headers=shop)
    assert made.status_code == 201, made.text
    # the dispatcher logs in by the short name, as a phone keyboard types it
    desk = {"Authorization": f"Bearer {token(http, coop.short_name.capitalize(), *coop.desk)}"}
    job = proposed(http, desk, made.json()["id"])
    assert job["proposal"]["courier_id"] == coop.courier[0]
    bounds = http.get("/v1/console/state", headers=desk).json()["map"]["bounds"]
    assert inside(bounds, own["pickup"]["lon"], own["pickup"]["lat"])
    assert not inside(bounds, other["pickup"]["lon"], other["pickup"]["lat"])
    path = http.get(f"/v1/jobs/{job['id']}/path", headers=desk).json()
    points = path["geometry"]["coordinates"]
    assert len(points) > 2 and all(inside(bounds, lon, lat) for lon, lat in points)
    # the courier logs in by the short name too; the id keeps working
    assert token(http, coop.short_name, coop.courier[1], coop.courier[2])
    assert token(http, coop.id, *coop.desk)


def two_cities_on_one_server(url: str, redis_url: str | None) -> None:
    """Two workers (and Redis between them) when ``redis_url`` is given, else one: each worker
    loads both cities, which is most of this test's time."""
    Store.open(url).close()
    helsinki = create_coop(url, "Pyörä Helsinki")
    andorra = create_coop(url, "Vélo Andorra", "--city", "andorra", "--timezone", "Europe/Andorra")
    assert (helsinki["city"], helsinki["short_name"]) == ("helsinki", "pyora-helsinki")
    assert (andorra["city"], andorra["short_name"]) == ("andorra", "velo-andorra")
    workers = "2" if redis_url else "1"
    server = Server(url, redis_url=redis_url, workers=workers, rate_limit_api_key="off", planning_budget_s="0.3")
    server.log_level = "info"
    server.launch()
    try:
        coops = people(url, helsinki), people(url, andorra)
        server.ready()
        with httpx.Client(base_url=server.url, timeout=60, verify=TLS) as http:
            in_helsinki, in_andorra = delivery_body(), andorra_body()
            done = [
                threading.Thread(target=check_coop_in_its_city, args=(http, coops[0], in_helsinki, in_andorra)),
                threading.Thread(target=check_coop_in_its_city, args=(http, coops[1], in_andorra, in_helsinki)),
            ]
            failures: list[BaseException] = []
            for thread in done:
                thread.run = _catching(thread.run, failures)  # type: ignore[method-assign]
                thread.start()
            for thread in done:
                thread.join(timeout=120)
            assert not failures, failures
    finally:
        server.stop()


def _catching(run: Any, failures: list[BaseException]) -> Any:
    def wrapped() -> None:
        try:
            run()
        except BaseException as exc:  # the test thread reports it
            failures.append(exc)

    return wrapped


def test_two_cooperatives_in_two_cities_on_postgresql(andorra_imported: Path, pg_url: str, redis_url: str) -> None:
    """Production's setting: PostgreSQL, two workers, Redis between them. Once, on PostgreSQL
    only: the cities are what is tested, and the database only stores a cooperative's city (its
    migration is tested on both below, create-coop's refusals on SQLite); two workers over one
    SQLite file are tests/api/test_workers.py's."""
    two_cities_on_one_server(pg_url, redis_url)


def test_a_city_is_loaded_once_and_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads asking for a city at once wait for one load; each name is its own city."""
    from routing.network import open_city

    loads: list[str] = []
    real = open_city

    def slow_open(name: str) -> Any:
        loads.append(name)
        time.sleep(0.2)
        return real(None)

    monkeypatch.setattr("api.cities.open_city", slow_open)
    cities = Cities()
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(cities.get("helsinki"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == ["helsinki"] and all(city is got[0] for city in got)
    assert "helsinki" in cities and "elsewhere" not in cities
    assert cities.get("elsewhere") is not got[0] and loads == ["helsinki", "elsewhere"]


def test_create_coop_refuses_a_bad_city_or_short_name(andorra_imported: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    first = create_coop(url, "Velo Lille")
    assert (first["short_name"], first["city"]) == ("velo-lille", "helsinki")

    def refused(*args: str) -> str:
        done = runner.invoke(app, ["admin", "create-coop", *args, "--database", url])
        assert done.exit_code == 2, done.output
        return " ".join(done.stderr.split())

    assert "no city named 'lille'" in refused("Velo Lille 2", "--city", "lille")
    assert "andorra" in refused("Velo Lille 2", "--city", "lille")  # the known cities are named
    taken = refused("Vélo Lille", "--city", "andorra")  # derives velo-lille, taken
    assert "'velo-lille' is taken" in taken and "--short-name" in taken
    assert "'velo-lille' is taken" in refused("Other", "--short-name", "velo-lille")
    for bad in ("Velo-Lille", "velo lille", "-velo", "velo--lille", "x", "1velo", "a" * 33):
        assert "is not a short name" in refused("Other", "--short-name", bad), bad
    made = create_coop(url, "Vélo Lille", "--city", "andorra", "--short-name", "velo-lille-sud")
    assert (made["short_name"], made["city"]) == ("velo-lille-sud", "andorra")


def test_short_names_derived_and_made_unique(tmp_path: Path) -> None:
    assert derived_short_name("Pyörä Osuuskunta") == "pyora-osuuskunta"
    assert derived_short_name("  Vélo   Lille!! ") == "velo-lille"
    assert derived_short_name("42 Coursiers") == "coursiers"
    assert derived_short_name("東京") == "coop"
    assert len(derived_short_name("Coopérative des coursiers à vélo de la métropole lilloise")) <= 32
    store = Store.open(f"sqlite:///{tmp_path / 'tandem.db'}")
    try:
        ids = [store.create_cooperative("Pyörä Osuuskunta").id for _ in range(3)]
        with store.engine.connect() as conn:
            names = [
                conn.execute(select(CooperativeRow.short_name).where(CooperativeRow.id == i)).scalar() for i in ids
            ]
        assert names == ["pyora-osuuskunta", "pyora-osuuskunta-2", "pyora-osuuskunta-3"]
        with pytest.raises(InvalidInput):
            store.create_cooperative("Anything", short_name="pyora-osuuskunta")
    finally:
        store.close()


def test_a_login_names_the_cooperative_by_id_or_short_name(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'tandem.db'}")
    try:
        coop = store.create_cooperative("Velo Lille", short_name="velo-lille")
        other = store.create_cooperative("Velo Roubaix", short_name="velo-roubaix")
        _, password = store.add_member(coop.id, Role.DISPATCHER, "Desk", "desk")
        for name in (coop.id, "velo-lille", "VELO-LILLE", " Velo-Lille "):
            _, who, _ = log_in(store, name, "desk", password)
            assert who.cooperative_id == coop.id, name
        for name in ("velo-roubaix", other.id, "velo", "", "velo-lille-2"):
            with pytest.raises(LoginFailed):
                log_in(store, name, "desk", password)
    finally:
        store.close()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_migration_gives_older_cooperatives_the_servers_city_and_a_short_name(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}" if database == "sqlite" else request.getfixturevalue("pg_url")
    from dispatch.store.engine import make_engine

    engine = make_engine(url)
    try:
        upgrade(engine, "0005")
        start = datetime(2026, 1, 1, tzinfo=UTC)
        with engine.begin() as conn:  # rows as 0005 kept them: no city, no short name
            for i, name in enumerate(["Pyörä Osuuskunta", "Pyörä Osuuskunta", "Vélo Lille"]):
                conn.execute(
                    insert(CooperativeRow).values(
                        id=f"00000000-0000-0000-0000-00000000000{i}",
                        name=name,
                        timezone="UTC",
                        heavy_threshold_kg=25.0,
                        fairness_weight=0.5,
                        settings={},
                        last_seq=0,
                        created_at=start + timedelta(minutes=i),
                    )
                )
        monkeypatch.setenv("TANDEM_CITY", "andorra")
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                select(CooperativeRow.short_name, CooperativeRow.city).order_by(CooperativeRow.created_at)
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("pyora-osuuskunta", "andorra"),
        ("pyora-osuuskunta-2", "andorra"),
        ("velo-lille", "andorra"),
    ]

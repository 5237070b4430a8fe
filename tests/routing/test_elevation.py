"""Heights for the streets (issue 20): SRTM tiles read and interpolated, bridges not taken as
climbs, a flat city unchanged, and riding times that know the slope and the load."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from routing.elevation import ElevationError, heights_at, read_hgt, street_heights
from routing.matrix import routable_graph
from routing.network import BikeNetwork, load_network, load_saved_network, save_network, with_elevation
from routing.profiles import PROFILES

ANDORRA = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm" / "andorra.osm.pbf"
ANDORRA_TILE = ANDORRA.parents[1] / "elevation" / "N42E001.hgt.zip"


def _write_tile(folder: Path, name: str, heights: np.ndarray, *, zipped: bool) -> Path:
    raw = heights.astype(">i2").tobytes()
    if not zipped:
        path = folder / f"{name}.hgt"
        path.write_bytes(raw)
        return path
    path = folder / f"{name}.hgt.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.hgt", raw)
    return path


def _plane(south: int, west: int, size: int = 1201) -> np.ndarray:
    """Heights rising 1,000 m per degree east and 500 m per degree north (row 0 = north edge)."""
    lat = np.linspace(south + 1, south, size)[:, None]
    lon = np.linspace(west, west + 1, size)[None, :]
    return np.rint(1000 * (lon - west) + 500 * (lat - south))


@pytest.mark.parametrize("zipped", [False, True])
def test_a_tile_is_read_and_interpolated_bilinearly(tmp_path: Path, zipped: bool) -> None:
    tile = read_hgt(_write_tile(tmp_path, "N42E001", _plane(42, 1), zipped=zipped))
    assert (tile.south, tile.west, tile.size) == (42, 1, 1201)
    rng = np.random.default_rng(3)
    lon, lat = 1 + rng.random(50), 42 + rng.random(50)
    want = 1000 * (lon - 1) + 500 * (lat - 42)
    np.testing.assert_allclose(heights_at([tile], lon, lat), want, atol=0.5)  # the grid holds whole metres


def test_holes_take_the_nearest_height_and_points_off_the_tiles_are_refused(tmp_path: Path) -> None:
    heights = np.full((1201, 1201), 200.0)
    heights[500:510, 500:510] = -32768  # the radar saw nothing here
    tile = read_hgt(_write_tile(tmp_path, "S01W002", heights, zipped=False))
    assert (tile.south, tile.west) == (-1, -2)
    middle = np.array([-2 + 505 / 1200]), np.array([-1 + (1200 - 505) / 1200])
    assert heights_at([tile], *middle)[0] == pytest.approx(200.0)
    with pytest.raises(ElevationError, match="outside the tiles"):
        heights_at([tile], np.array([5.0]), np.array([5.0]))
    (tmp_path / "N10E010.hgt").write_bytes(b"\x00" * 100)
    with pytest.raises(ElevationError, match="not a 1201x1201"):
        read_hgt(tmp_path / "N10E010.hgt")


def test_a_bridge_over_a_valley_is_not_a_climb() -> None:
    # Ground 0 -- 1 at 100 m, a bridge 1 -> 2 -> 3 -> 4 over a valley the grid reads at 40 m,
    # ground again 4 -- 5 at 100 m. Arcs in both directions.
    pairs = [(0, 1, 0), (1, 2, 1), (2, 3, 1), (3, 4, 1), (4, 5, 0)]
    tail = np.array([a for a, b, _ in pairs] + [b for a, b, _ in pairs])
    head = np.array([b for a, b, _ in pairs] + [a for a, b, _ in pairs])
    structure = np.array([k for *_, k in pairs] * 2, dtype=np.int8)
    length = np.full(tail.shape, 50.0)
    raw = np.array([100.0, 100.0, 40.0, 40.0, 100.0, 100.0])
    heights = street_heights(raw, tail, head, length, structure, smoothing_m=0)
    np.testing.assert_allclose(heights, 100.0)
    ground = street_heights(raw, tail, head, length, np.zeros_like(structure), smoothing_m=0)
    assert ground[2] == 40.0  # the same streets on the ground do dip


@pytest.fixture(scope="module")
def andorra(tmp_path_factory: pytest.TempPathFactory) -> tuple[BikeNetwork, BikeNetwork]:
    if not ANDORRA.is_file():
        pytest.skip("../shared/data/osm/andorra.osm.pbf is not here")
    flat = load_network(ANDORRA, cache_dir=tmp_path_factory.mktemp("cache"))
    return flat, with_elevation(flat, [ANDORRA_TILE])


def test_a_city_on_a_flat_tile_rides_exactly_as_a_city_without_heights(helsinki: BikeNetwork, tmp_path: Path) -> None:
    lon0, lat0 = int(np.floor(helsinki.lon.min())), int(np.floor(helsinki.lat.min()))
    tile = _write_tile(tmp_path, f"N{lat0:02d}E{lon0:03d}", np.full((1201, 1201), 12.0), zipped=True)
    level = with_elevation(helsinki, [tile])
    assert level.grade is not None and not level.grade.any()
    for name in ("bike", "cargo_bike", "e_cargo_bike"):
        for load in (0.0, 40.0):
            a = routable_graph(helsinki, PROFILES[name]).arc_time_s(load)
            b = routable_graph(level, PROFILES[name]).arc_time_s(load)
            np.testing.assert_array_equal(a, b)


def test_heights_are_kept_with_the_city(andorra: tuple[BikeNetwork, BikeNetwork], tmp_path: Path) -> None:
    _, hilly = andorra
    assert hilly.elevation_m is not None
    assert hilly.elevation_m.min() > 850 and hilly.elevation_m.max() < 2950  # Andorra: 840-2940 m
    save_network(hilly, tmp_path / "andorra.npz")
    again = load_saved_network(tmp_path / "andorra.npz")
    np.testing.assert_array_equal(again.elevation_m, hilly.elevation_m)


def test_up_and_down_the_same_streets_differ_and_a_load_costs_most_uphill(
    andorra: tuple[BikeNetwork, BikeNetwork],
) -> None:
    flat, hilly = andorra
    graph = routable_graph(hilly, PROFILES["cargo_bike"])
    grade = hilly.grade[graph.arcs]  # type: ignore[index]
    # A long ridden climb of 6-9 %, both ways (steeper ones are walked, loaded or not).
    climb = int(np.flatnonzero((graph.length_m > 100) & (grade > 0.06) & (grade < 0.09))[0])
    down = np.flatnonzero((graph.tail == graph.head[climb]) & (graph.head == graph.tail[climb]))
    assert grade[climb] > 0.06 and down.shape[0] == 1
    up_s = graph.arc_time_s(0.0)[climb]
    down_s = graph.arc_time_s(0.0)[down[0]]
    assert up_s > 1.5 * down_s
    flat_graph = routable_graph(flat, PROFILES["cargo_bike"])
    loaded_up = graph.arc_time_s(80.0)[climb] / up_s
    loaded_flat = flat_graph.arc_time_s(80.0)[climb] / flat_graph.arc_time_s(0.0)[climb]
    assert loaded_up > loaded_flat + 0.3  # 80 kg: a few % slower on the flat, far more uphill

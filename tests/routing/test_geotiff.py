"""GeoTIFF elevation (issue 20, item 1): a DEM on a lat/lon grid read with tifffile gives the
same heights as the SRTM tile it was cut from, whether its pixels stand for areas or points;
a projected grid, a grid on another datum or a file that is no GeoTIFF is refused with a reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile

from routing.elevation import VOID, ElevationError, Tile, heights_at, read_geotiff, read_hgt, read_tile
from routing.network import load_network, with_elevation
from tests.routing.conftest import TINY_TOWN
from tests.routing.test_elevation import ANDORRA_TILE, _write_tile

#: GeoKeys: geographic model (1024 = 2), raster type (1025: 1 area, 2 point), WGS 84 (2048 = 4326).
WGS84_POINT = (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 2, 2048, 0, 1, 4326)
WGS84_AREA = (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326)
UTM_31N = (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32631)


def write_geotiff(
    path: Path,
    heights: np.ndarray,
    *,
    corner: tuple[float, float],
    step_deg: float,
    keys: tuple[int, ...] = WGS84_POINT,
    nodata: str | None = str(VOID),
) -> Path:
    """A one-band GeoTIFF whose pixel (0, 0) is tied to ``corner`` (lon, lat), as GDAL writes one."""
    tags: list[tuple[int | str, int | str, int | None, Any, bool]] = [
        (33550, "d", 3, (step_deg, step_deg, 0.0), True),
        (33922, "d", 6, (0.0, 0.0, 0.0, corner[0], corner[1], 0.0), True),
        (34735, "H", len(keys), keys, True),
    ]
    if nodata is not None:
        tags.append((42113, "s", 0, nodata, True))
    tifffile.imwrite(path, heights, extratags=tags, compression="zlib")
    return path


def _crop(tile: Tile, lat: tuple[float, float], lon: tuple[float, float]) -> tuple[np.ndarray, int, int, float]:
    """The tile's grid (voids as SRTM writes them) over a box, with its first row, column and step."""
    step = 1.0 / (tile.heights.shape[0] - 1)
    r0, r1 = int((tile.south + 1 - lat[1]) / step), int(np.ceil((tile.south + 1 - lat[0]) / step))
    c0, c1 = int((lon[0] - tile.west) / step), int(np.ceil((lon[1] - tile.west) / step))
    grid = np.where(np.isnan(tile.heights), VOID, tile.heights)[r0 : r1 + 1, c0 : c1 + 1]
    return grid.astype(np.int16), r0, c0, step


@pytest.mark.parametrize("area", [False, True], ids=["pixel is point", "pixel is area"])
def test_a_crop_of_andorras_tile_as_geotiff_gives_the_same_heights(tmp_path: Path, area: bool) -> None:
    if not ANDORRA_TILE.is_file():
        pytest.skip("../shared/data/elevation/N42E001.hgt.zip is not here")
    hgt = read_hgt(ANDORRA_TILE)
    grid, r0, c0, step = _crop(hgt, (42.45, 42.58), (1.45, 1.60))
    lon0, lat0 = hgt.west + c0 * step, hgt.south + 1 - r0 * step  # the first point of the crop
    half = step / 2 if area else 0.0  # an area raster is tied by its first cell's corner
    tif = read_geotiff(
        write_geotiff(
            tmp_path / "andorra.tif",
            grid,
            corner=(lon0 - half, lat0 + half),
            step_deg=step,
            keys=WGS84_AREA if area else WGS84_POINT,
        )
    )
    rng = np.random.default_rng(20)
    lon, lat = rng.uniform(1.45, 1.60, 2000), rng.uniform(42.45, 42.58, 2000)
    assert np.abs(heights_at([tif], lon, lat) - heights_at([hgt], lon, lat)).max() < 0.01
    assert heights_at([tif], lon, lat).min() > 840


def test_a_town_on_a_geotiff_has_the_node_heights_of_the_srtm_tile_it_was_cut_from(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    bumps = rng.integers(0, 60, size=(1201, 1201)).astype(np.int16)
    bumps[400, 700] = VOID  # a hole, "no data" in both
    tile_path = _write_tile(tmp_path, "N60E024", bumps, zipped=False)
    grid, r0, c0, step = _crop(read_hgt(tile_path), (60.16, 60.18), (24.93, 24.96))
    tif_path = write_geotiff(tmp_path / "town.tif", grid, corner=(24 + c0 * step, 61 - r0 * step), step_deg=step)
    town = load_network(TINY_TOWN, cache_dir=tmp_path / "cache")
    from_hgt, from_tif = with_elevation(town, [tile_path]), with_elevation(town, [tif_path])
    assert from_hgt.elevation_m is not None and from_tif.elevation_m is not None
    assert np.ptp(from_hgt.elevation_m) > 1  # heights that differ from node to node...
    np.testing.assert_allclose(from_tif.elevation_m, from_hgt.elevation_m, atol=0.01)  # ...the same to a cm


def test_a_projected_grid_another_datum_or_no_geotiff_is_refused(tmp_path: Path) -> None:
    grid = np.full((10, 10), 100, dtype=np.int16)
    utm = write_geotiff(tmp_path / "utm.tif", grid, corner=(380000.0, 4710000.0), step_deg=30.0, keys=UTM_31N)
    with pytest.raises(ElevationError, match=r"not on latitude and longitude.*EPSG:32631.*EPSG:4326"):
        read_geotiff(utm)
    tokyo = (*WGS84_POINT[:-1], 4301)  # Tokyo datum: hundreds of metres off WGS 84
    with pytest.raises(ElevationError, match="EPSG:4301, not WGS 84"):
        read_geotiff(write_geotiff(tmp_path / "tokyo.tif", grid, corner=(139.0, 36.0), step_deg=0.001, keys=tokyo))
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, grid)
    with pytest.raises(ElevationError, match="not a GeoTIFF"):
        read_geotiff(plain)
    junk = tmp_path / "junk.tiff"
    junk.write_bytes(b"no heights here")
    with pytest.raises(ElevationError, match="cannot read the GeoTIFF"):
        read_tile(junk)
    lzw = write_geotiff(tmp_path / "lzw.tif", grid, corner=(1, 42), step_deg=0.1)
    with tifffile.TiffFile(lzw) as tiff:
        at = tiff.pages.first.tags[259].valueoffset  # Compression: Deflate as written...
    with lzw.open("r+b") as raw:
        raw.seek(at)
        raw.write((5).to_bytes(2, "little"))  # ...now said to be LZW, which tifffile leaves to imagecodecs
    with pytest.raises(ElevationError, match=r"install imagecodecs .* or re-export it with gdal_translate"):
        read_geotiff(lzw)
    empty = write_geotiff(tmp_path / "void.tif", np.full((4, 4), VOID, dtype=np.int16), corner=(1, 42), step_deg=0.1)
    with pytest.raises(ElevationError, match="no height at all"):
        read_geotiff(empty)


def test_a_bomb_is_refused_before_decoding_and_voids_or_absurd_heights_are_holes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside attack: a 6.5 MB file declaring 40,000 x 40,000 heights took 6.6 GB before failing;
    1e30 m imported as a height, and SRTM's -32768 too when the file had no no-data tag."""
    from routing import elevation

    grid = np.full((4, 4), 1000.0, dtype=np.float32)
    grid[0, 0], grid[1, 1], grid[2, 2] = 1e30, VOID, -1e6
    path = write_geotiff(tmp_path / "odd.tif", grid, corner=(1.5, 42.5), step_deg=0.01, nodata=None)
    tile = read_geotiff(path)
    assert np.isnan(tile.heights[0, 0]) and np.isnan(tile.heights[1, 1]) and np.isnan(tile.heights[2, 2])
    assert np.nanmax(tile.heights) == 1000.0
    monkeypatch.setattr(elevation, "MAX_GEOTIFF_PIXELS", 15)
    with pytest.raises(ElevationError, match="16 heights, more than 15"):
        read_geotiff(path)

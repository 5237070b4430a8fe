"""`tandem city import FILE --elevation DEM.tif` (issue 20): a GeoTIFF on latitude and longitude
gives the city its heights; a projected one, or a file that is no TIFF, is refused with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.routing.conftest import TINY_TOWN
from tests.routing.test_geotiff import UTM_31N, write_geotiff

runner = CliRunner()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "tandem-data"))


def _import(dem: Path) -> tuple[int, str]:
    done = runner.invoke(app, ["city", "import", str(TINY_TOWN), "--name", "tiny", "--elevation", str(dem), "--json"])
    return done.exit_code, done.output


def test_a_geotiff_gives_the_town_its_heights(tmp_path: Path) -> None:
    # 1 m higher every 0.001 degree east, from 100 m; the town lies at 24.940-24.946 E.
    lon = np.arange(24.90, 25.00 + 1e-9, 0.001)
    grid = np.repeat((100 + np.rint((lon - 24.90) / 0.001))[None, :], 60, axis=0).astype(np.int16)
    code, output = _import(write_geotiff(tmp_path / "town.tif", grid, corner=(24.90, 60.19), step_deg=0.001))
    assert code == 0, output
    heights = json.loads(output)["elevation"]
    assert 139 <= heights["min_m"] < heights["max_m"] <= 147
    info = runner.invoke(app, ["city", "info", "--city", "tiny"])
    assert "no elevation" not in info.output


def test_a_projected_geotiff_or_a_file_that_is_no_tiff_is_refused(tmp_path: Path) -> None:
    grid = np.full((10, 10), 100, dtype=np.int16)
    utm = write_geotiff(tmp_path / "utm.tif", grid, corner=(380000.0, 4710000.0), step_deg=30.0, keys=UTM_31N)
    code, output = _import(utm)
    assert code != 0 and "not on latitude and longitude (EPSG:32631)" in output and "EPSG:4326" in output
    junk = tmp_path / "heights.tif"
    junk.write_bytes(b"PK\x03\x04 a zip, not a tiff")
    code, output = _import(junk)
    assert code != 0 and "cannot read the GeoTIFF" in output

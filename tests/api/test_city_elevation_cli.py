"""`tandem city import FILE --elevation TILE` (issue 20): heights kept with the city, said by
`city info`; a tile that does not cover the city, or is not a tile, is refused with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.routing.conftest import TINY_TOWN
from tests.routing.test_elevation import ANDORRA, ANDORRA_TILE, _write_tile

runner = CliRunner()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "tandem-data"))


def test_a_city_imported_with_tiles_has_heights_and_says_so() -> None:
    if not ANDORRA.is_file():
        pytest.skip("../shared/data/osm/andorra.osm.pbf is not here")
    done = runner.invoke(app, ["city", "import", str(ANDORRA), "--elevation", str(ANDORRA_TILE), "--json"])
    assert done.exit_code == 0, done.output
    # stdout only: pyrosm says on stderr how long a slow read took (a busy machine)
    heights = json.loads(done.stdout)["elevation"]
    assert 840 < heights["min_m"] < heights["max_m"] < 2950
    info = runner.invoke(app, ["city", "info", "--city", "andorra"])
    assert "elevation" in info.output and "no elevation" not in info.output


def test_a_city_without_tiles_says_every_street_is_flat() -> None:
    done = runner.invoke(app, ["city", "import", str(TINY_TOWN), "--name", "tiny", "--json"])
    assert done.exit_code == 0 and json.loads(done.stdout)["elevation"] is None
    info = runner.invoke(app, ["city", "info", "--city", "tiny"])
    assert "no elevation" in info.output


def test_tiles_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    elsewhere = _write_tile(tmp_path, "S50W070", np.full((1201, 1201), 100.0), zipped=True)  # Patagonia
    wrong = runner.invoke(app, ["city", "import", str(TINY_TOWN), "--name", "t", "--elevation", str(elsewhere)])
    assert wrong.exit_code != 0 and "outside the tiles" in wrong.output
    junk = tmp_path / "N10E010.hgt"
    junk.write_bytes(b"no heights here")
    bad = runner.invoke(app, ["city", "import", str(TINY_TOWN), "--name", "t", "--elevation", str(junk)])
    assert bad.exit_code != 0 and "SRTM grid" in bad.output
    named = tmp_path / "heights.hgt"
    named.write_bytes(b"")
    unnamed = runner.invoke(app, ["city", "import", str(TINY_TOWN), "--name", "t", "--elevation", str(named)])
    assert unnamed.exit_code != 0 and "named by its corner" in unnamed.output

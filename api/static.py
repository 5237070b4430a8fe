"""The console's static files and the map library, served by the API itself (no CDN, no build).

The map library is MapLibre GL JS as shipped inside the ``maplibre`` Python wheel, so installing
Tandem with pip brings it; nothing is fetched from the network when a page loads.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console_web"


def maplibre_dir() -> Path:
    """Found without importing the package (its import pulls in notebook bindings we do not use)."""
    spec = importlib.util.find_spec("maplibre")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the maplibre package is missing: pip install maplibre")
    return Path(next(iter(spec.submodule_search_locations))) / "srcjs"


def mount(app: FastAPI) -> None:
    app.mount("/vendor/maplibre", StaticFiles(directory=maplibre_dir()), name="maplibre")
    if CONSOLE_DIR.is_dir():
        app.mount("/console", StaticFiles(directory=CONSOLE_DIR, html=True), name="console")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.get("/courier", include_in_schema=False)
    async def courier_page() -> RedirectResponse:
        """The couriers' phone page shares the console's scripts, so it lives beside them."""
        return RedirectResponse("/console/courier/")

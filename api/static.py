"""The console's static files, the map library and the API's documentation pages, served by the
API itself (no CDN, no build).

The map library is MapLibre GL JS as shipped inside the ``maplibre`` Python wheel, and the
API's documentation page (``/docs``, Swagger UI) uses the copy shipped inside the
``fastapi-offline`` wheel, so installing Tandem with pip brings them; nothing is fetched from the
network when a page loads. The page holds no inline script (its set-up is a file of its own),
so it runs under the same Content Security Policy as the console (api/browsers.py). ReDoc,
shipped in the same wheel, is not served: it loads its logo from its makers' server.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console_web"


def maplibre_dir() -> Path:
    """Found without importing the package (its import pulls in notebook bindings we do not use)."""
    spec = importlib.util.find_spec("maplibre")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the maplibre package is missing: pip install maplibre")
    return Path(next(iter(spec.submodule_search_locations))) / "srcjs"


def docs_assets_dir() -> Path:
    """Swagger UI as the ``fastapi-offline`` wheel ships it (found without importing it)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the fastapi-offline package is missing: pip install fastapi-offline")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


#: The documentation page: its script and style come from /vendor/docs, its set-up from
#: /docs/swagger-init.js (no inline script, which the page's policy refuses).
SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tandem API</title>
<link rel="stylesheet" href="/vendor/docs/swagger-ui.css">
<link rel="icon" href="/vendor/docs/favicon.png"></head>
<body><div id="swagger-ui"></div>
<script src="/vendor/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body></html>
"""
SWAGGER_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis], showExtensions: true, showCommonExtensions: true
});
"""


def mount(app: FastAPI) -> None:
    """``create_app`` builds the app with ``docs_url=None, redoc_url=None``: /docs is this one."""
    app.mount("/vendor/maplibre", StaticFiles(directory=maplibre_dir()), name="maplibre")
    app.mount("/vendor/docs", StaticFiles(directory=docs_assets_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE)

    @app.get("/docs/swagger-init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(SWAGGER_INIT, media_type="text/javascript")

    if CONSOLE_DIR.is_dir():
        app.mount("/console", StaticFiles(directory=CONSOLE_DIR, html=True), name="console")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.get("/courier", include_in_schema=False)
    async def courier_page() -> RedirectResponse:
        """The couriers' phone page shares the console's scripts, so it lives beside them."""
        return RedirectResponse("/console/courier/")

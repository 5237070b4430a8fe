"""``/docs`` works with no internet (issue 16): every script and style it loads comes from the app
itself (a Python package's copy of Swagger UI), and its page policy admits it all."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings


class Assets(HTMLParser):
    """The scripts and styles a page loads, and whether any script is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  #: (kind, url)
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self._in_script = True
            if found.get("src"):
                self.urls.append(("script", str(found["src"])))
        elif tag == "link" and found.get("href"):
            self.urls.append((str(found.get("rel")), str(found["href"])))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def test_the_api_docs_load_everything_from_the_app_itself() -> None:
    page, needs = "/docs", "SwaggerUIBundle"
    client = TestClient(create_app(Settings(database_url="sqlite://", redis_url=None)))  # no lifespan: no city
    html = client.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    policy = html.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy, policy
    assets = Assets()
    assets.feed(html.text)
    assert assets.inline_scripts == 0  # the policy would refuse them
    kinds = {kind for kind, _ in assets.urls}
    assert {"script", "icon", "stylesheet"} <= kinds
    code = ""
    for kind, url in assets.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), f"{page} loads {url} from elsewhere"
        got = client.get(url)
        assert got.status_code == 200 and got.content, (url, got.status_code)
        if kind == "script":
            assert "javascript" in got.headers["content-type"], (url, got.headers["content-type"])
            code += got.text
        if kind == "stylesheet":
            assert got.headers["content-type"].startswith("text/css")
    assert needs in code and "/openapi.json" in code
    assert client.get("/openapi.json").json()["info"]["title"] == "Tandem"
    assert client.get("/redoc").status_code == 404  # ReDoc would load its logo from elsewhere

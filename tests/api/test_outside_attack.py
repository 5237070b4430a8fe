"""What an outside attack on this session's changes found (issue 21), each now refused cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dispatch.errors import InvalidInput
from dispatch.store import Store
from dispatch.store.access import set_courier_login
from tests.api.harness import World, in_process


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    yield from in_process(tmp_path)


@pytest.mark.parametrize(
    "url",
    ["https://[::1", "https://[", "https://]/", "https://[]/", "https://a]b/", "https://[zz]/", "https://h:99999/"],
)
def test_a_webhook_url_with_a_broken_host_or_port_is_a_422_not_a_500(
    app: tuple[TestClient, World, Store], url: str
) -> None:
    client, world, _ = app
    answer = client.post("/v1/webhooks", json={"url": url}, headers={"Authorization": f"Bearer {world.client_key}"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "url"


@pytest.mark.parametrize("origin", ["https://[", "https://[::1", "https://a]b", "https://[zz]"])
def test_a_socket_with_a_malformed_origin_is_refused_not_a_500(
    app: tuple[TestClient, World, Store], origin: str
) -> None:
    client, _, _ = app
    for path in ("/v1/courier/ws", "/v1/console/ws"):
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(path, headers={"origin": origin}):
            pass
        assert closed.value.code == 4403


def test_two_authorization_headers_are_refused(app: tuple[TestClient, World, Store]) -> None:
    client, world, _ = app
    desk = login_in_app(client, world)
    headers = [("authorization", f"Bearer {world.client_key}"), ("authorization", f"Bearer {desk}")]
    for path in ("/v1/deliveries", "/v1/console/state"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 401 and "one Authorization header" in answer.text, answer.text
    assert client.get("/v1/deliveries", headers={"Authorization": f"Bearer {world.client_key}"}).status_code == 200


def test_a_login_that_looks_like_another_is_refused(app: tuple[TestClient, World, Store]) -> None:
    _, world, store = app
    (aino, aino_login, _), (other, _, _) = list(world.couriers.values())[:2]
    for look_alike in (aino_login.upper(), f" {aino_login}", f"{aino_login} ", aino_login.replace("a", "ａ")):
        with pytest.raises(InvalidInput):
            set_courier_login(store, world.coop_id, other, look_alike)
    set_courier_login(store, world.coop_id, aino, aino_login)  # one's own login again is fine


def login_in_app(client: TestClient, world: World) -> str:
    answer = client.post(
        "/v1/auth/login",
        json={"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": world.dispatcher_password},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])

"""Schemathesis against Tandem's own OpenAPI schema: every operation, with the caller's credential.

The schema is the app's ``/openapi.json`` (checked equal to what the running server publishes);
each operation's security requirement names the roles it admits (api/auth.py), so each case
is sent with a credential of such a role: a client's API key or a member's login token. The
server is a real ``tandem serve`` (uvicorn) on a scratch SQLite database.

Every answer must be no 5xx, a documented status code with the documented content type,
headers and body schema (errors included: their shape is ``ErrorOut``), and a request
without credentials must be refused. Generation is seeded and bounded (``MAX_EXAMPLES`` per
operation, positive and negative data) so that the run is repeatable and fits CI; set
``TANDEM_FUZZ_EXAMPLES`` to dig deeper by hand (80 takes about a minute and a half).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings
from dispatch.model import Role
from dispatch.store import Store
from dispatch.store.access import log_in
from tests.api.harness import Server, create_delivery, delivery_body, login, make_world

MAX_EXAMPLES = int(os.environ.get("TANDEM_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]

#: The schema as the app builds it; the fixture checks that the server publishes the same.
OPENAPI = create_app(Settings(database_url="sqlite://", redis_url=None)).openapi()
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)
SCHEMA.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True)


@dataclass
class Api:
    server: Server
    store: Store
    world_coop: str
    tokens: dict[str, str]  #: role -> credential
    logins: dict[str, tuple[str, str]]  #: role -> (login, password), for fresh tokens

    def credential(self, role: str, *, fresh: bool = False) -> str:
        """A credential of ``role``; ``fresh`` logs in anew (for an operation that revokes its own).

        Fresh tokens come from the store, not from ``POST /v1/auth/login``: a login per example
        would spend the account's login budget (the rate limit) and make the run depend on it.
        """
        if fresh and role in self.logins:
            return str(log_in(self.store, self.world_coop, *self.logins[role])[0])
        return self.tokens[role]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    _, analyst_password = store.add_member(world.coop_id, Role.ANALYST, "Analyst", "numbers")
    server = Server(url, auto_plan="0", planning_budget_s="0.3").start()
    try:
        base = server.url
        published = httpx.get(f"{base}/openapi.json", timeout=30).json()
        assert published == OPENAPI, "the server publishes another schema than the one fuzzed"
        aino = world.couriers["Aino"]
        logins = {
            "dispatcher": (world.dispatcher_login, world.dispatcher_password),
            "analyst": ("numbers", analyst_password),
            "courier": (aino[1], aino[2]),
        }
        tokens = {role: login(base, world.coop_id, *pair) for role, pair in logins.items()}
        tokens["client"] = world.client_key
        create_delivery(base, world)  # something to list, plan and look at
        yield Api(server, store, world.coop_id, tokens, logins)
    finally:
        server.stop()
        store.close()


def admitted_role(operation: Any) -> str | None:
    """The first role the operation's security requirement admits (None: a public operation)."""
    for requirement in operation.definition.raw.get("security", []):
        for roles in requirement.values():
            if roles:
                return str(sorted(roles)[0])
    return None


@SCHEMA.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # Health checks judge data generation, not the API: negative data filters much (filter_too_much)
    # and every example is an HTTP round trip (too_slow); the examples stay bounded by max_examples.
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_to_its_schema(case: schemathesis.Case[Any], api: Api) -> None:
    role = admitted_role(case.operation)
    headers = {}
    if role is not None:
        fresh = case.operation.path == "/v1/auth/logout"  # logging out must not revoke the shared token
        headers["Authorization"] = f"Bearer {api.credential(role, fresh=fresh)}"
    case.call_and_validate(base_url=api.server.url, headers=headers, checks=CHECKS, timeout=60)


def _documented(api: Api, method: str, template: str, role: str | None, **kwargs: Any) -> httpx.Response:
    """Call an operation and check its answer against the schema: status documented, body valid."""
    path = template.format(**kwargs.pop("ids", {}))
    headers = {"Authorization": f"Bearer {api.tokens[role]}"} if role else {}
    r = httpx.request(
        method, f"{api.server.url}{path}", headers={**headers, **kwargs.pop("headers", {})}, timeout=60, **kwargs
    )
    assert str(r.status_code) in OPENAPI["paths"][template][method.lower()]["responses"], (
        method,
        path,
        r.status_code,
        r.text,
    )
    SCHEMA[template][method].validate_response(r)
    return r


def test_the_happy_paths_answer_as_documented(api: Api) -> None:
    """What random data rarely reaches (a real job, a retry, a decision) checked against the schema."""
    courier = api.logins["courier"][0]
    body = delivery_body()
    created = _documented(api, "POST", "/v1/deliveries", "client", json=body, headers={"Idempotency-Key": "happy"})
    assert created.status_code == 201
    again = _documented(api, "POST", "/v1/deliveries", "client", json=body, headers={"Idempotency-Key": "happy"})
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    ids = {"job_id": created.json()["id"], "delivery_id": created.json()["id"]}
    ids["token"] = created.json()["tracking_url"].rsplit("/", 1)[1]
    _documented(api, "POST", "/v1/quotes", "client", json=body)
    _documented(api, "GET", "/v1/deliveries/{delivery_id}", "client", ids=ids)
    _documented(api, "GET", "/v1/track/{token}", None, ids=ids)
    _documented(api, "GET", "/v1/jobs/{job_id}", "dispatcher", ids=ids)
    _documented(api, "GET", "/v1/jobs/{job_id}/path", "analyst", ids=ids)
    couriers = _documented(api, "GET", "/v1/couriers", "dispatcher").json()["couriers"]
    ids["courier_id"] = next(c["id"] for c in couriers if c["display_name"] == "Aino")
    _documented(
        api, "GET", "/v1/jobs/{job_id}/override-cost", "dispatcher", ids=ids, params={"courier_id": ids["courier_id"]}
    )
    decided = _documented(
        api,
        "POST",
        "/v1/jobs/{job_id}/decisions",
        "dispatcher",
        ids=ids,
        json={"action": "override", "courier_id": ids["courier_id"], "reason": "test", "force": True},  # off shift
    )
    assert decided.json()["job"]["courier_id"] == ids["courier_id"]
    _documented(api, "GET", "/v1/courier/jobs", "courier")
    _documented(api, "GET", "/v1/courier/jobs/{job_id}/path", "courier", ids=ids)
    _documented(api, "GET", "/v1/courier/me/export", "courier")
    _documented(api, "POST", "/v1/decisions/accept-all", "dispatcher", json={"jobs": [ids["job_id"], "nope"]})
    _documented(api, "GET", "/v1/events", "analyst", params={"limit": 5})
    _documented(api, "GET", "/v1/console/state", "dispatcher")
    _documented(api, "POST", "/v1/planning/rounds", "dispatcher", params={"wait": "true"})
    _documented(api, "GET", "/v1/plan", "dispatcher")
    _documented(api, "POST", "/v1/couriers/{courier_id}/login", "dispatcher", ids=ids, json={"login": courier})
    hook = _documented(api, "POST", "/v1/webhooks", "client", json={"url": "http://127.0.0.1:9/hook"})
    _documented(api, "GET", "/v1/webhooks", "client")
    _documented(api, "DELETE", "/v1/webhooks/{webhook_id}", "client", ids={"webhook_id": hook.json()["id"]})
    _documented(
        api, "POST", "/v1/deliveries/{delivery_id}/cancel", "client", ids=ids, json={"reason": "no longer needed"}
    )
    _documented(api, "GET", "/readyz", None)


def test_the_schema_declares_who_may_call_what() -> None:
    """Every /v1 operation except logging in and tracking names its roles; the fuzzer relies on it."""
    public = {("post", "/v1/auth/login"), ("get", "/v1/track/{token}")}
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            if not path.startswith("/v1") or (method, path) in public:
                continue
            roles = {r for requirement in operation.get("security", []) for rs in requirement.values() for r in rs}
            assert roles, f"{method.upper()} {path} declares no role"
            assert roles <= {"client", "dispatcher", "analyst", "courier"}, (path, roles)
            assert "401" in operation["responses"] and "403" in operation["responses"], path

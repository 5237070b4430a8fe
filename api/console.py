"""The dispatchers' API: the open queue, proposals and their reasons, decisions, the live log.

Every decision may carry the job's ``expected_seq`` (the last seq the console saw for it): if
another dispatcher acted first, the answer is a 409 that says who did what, never a silent
overwrite. Couriers are always listed in the neutral rotation order (dispatch.rotation).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, WebSocket

from api.deps import Analyst, Dispatcher, IsoDay, Member, RoundNumber, Svc
from api.errors import ApiError, Ident, answers, edge_words, refusals, refusals_of_non_json, responses, say_domain
from api.geo import GEOJSON_LINES, GeoJSONResponse, street_path, streets_geojson
from api.i18n import Lang, in_words
from api.schemas import (
    MAX_SEQ,
    AcceptAllIn,
    AcceptAllOut,
    ConsoleStateOut,
    CourierActiveOut,
    CourierErasedOut,
    CourierLoginIn,
    CourierLoginOut,
    CouriersOut,
    DeactivateIn,
    DecisionIn,
    DecisionOut,
    EraseIn,
    EventsOut,
    JobOut,
    JobsOut,
    KeyRevokedOut,
    KeyRotatedOut,
    LedgerOut,
    LoginRevokedOut,
    MemberLoginIn,
    NoBodyIn,
    OverrideCostOut,
    OverrideOptionsOut,
    PasswordResetOut,
    PathOut,
    PlanOut,
    PositionsOut,
    RoundOut,
    SettingsIn,
    SettingsOut,
    UnavailableIn,
    UnavailableOut,
)
from api.services import Services
from api.sockets import event_json, hello, refusal, send, serve
from dispatch import commands
from dispatch.analyst_view import as_read_by
from dispatch.decide import Decision, accept_proposal, decision_cost, override_options
from dispatch.decide import decide as decide_job
from dispatch.errors import Conflict, DomainError, InvalidInput
from dispatch.events import Actor, ActorKind, Event
from dispatch.intake import tariff_of
from dispatch.lifecycle import ACTIVE_STATES, FINAL_STATES, OPEN_STATES, allowed_acts
from dispatch.model import Cooperative
from dispatch.pricing import repricing_rule
from dispatch.projections import JobView
from dispatch.store import Store, declines, positions
from dispatch.store.access import (
    UNCHANGED,
    Principal,
    change_settings,
    deactivate_courier,
    display_name_of,
    reactivate_courier,
    reset_member_password,
    revoke_client_key,
    revoke_member_login,
    rotate_client_key,
    set_courier_login,
)
from dispatch.store.erasure import Erased, erase_courier
from dispatch.views import couriers_in_rotation, ledger_of_day

router = APIRouter(prefix="/v1", tags=["dispatchers"], responses=refusals())

STATE_SETS = {"open": OPEN_STATES, "active": ACTIVE_STATES, "done": FINAL_STATES}


def _now() -> datetime:
    return datetime.now(UTC)


def job_json(job: JobView) -> dict[str, Any]:
    return {**job.to_json(), "allowed": [a.value for a in allowed_acts(job.state)]}


@router.get("/console/state", **answers(ConsoleStateOut))
async def console_state(who: Dispatcher, svc: Svc, lang: Lang, round_number: RoundNumber = 0) -> dict[str, Any]:
    """Everything the console needs to draw itself, and the seq to resume the socket from (the
    planner's reasons said in the reader's language beside their codes)."""
    plan = await svc.planner.current(who.cooperative_id)  # another worker's round, when newer

    def gather() -> dict[str, Any]:
        coop = svc.store.cooperative(who.cooperative_id)
        last_seq = svc.store.cooperative_last_seq(who.cooperative_id)
        jobs = svc.store.jobs(who.cooperative_id, OPEN_STATES | ACTIVE_STATES)
        state = {
            "cooperative": {"id": coop.id, "name": coop.name, "fairness_weight": coop.fairness_weight},
            "me": {"id": who.subject_id, "display_name": who.display_name},
            "last_seq": last_seq,
            "jobs": [job_json(j) for j in jobs],
            "couriers": _with_breaks(svc.store, who.cooperative_id, round_number),
            "ledger": ledger_of_day(svc.store, who.cooperative_id, None, _now()),
            "plan": plan,
            "map": {"tile_url": svc.settings.tile_url, "bounds": list(svc.city_of(who.cooperative_id).streets.bounds)},
            "heavy_threshold_kg": coop.heavy_threshold_kg,
        }
        said: dict[str, Any] = in_words(svc.store, who.cooperative_id, lang, state)
        return said

    return await svc.run(gather)  # type: ignore[no-any-return]


@router.get(
    "/city/streets",
    response_class=GeoJSONResponse,
    responses={
        200: {
            "description": "One LineString per street segment",
            "content": {"application/geo+json": {"schema": GEOJSON_LINES}},
        },
        **refusals_of_non_json(),
    },
)
async def city_streets(who: Member, svc: Svc) -> Response:
    """The cooperative's city's streets as GeoJSON, for maps without a tile server (computed once
    per city and worker)."""
    city = await svc.city(who.cooperative_id)
    cached = svc.cache.get(f"streets:{city.name}")
    if cached is None:
        cached = json.dumps(await svc.run(streets_geojson, city.network), separators=(",", ":"))
        svc.cache[f"streets:{city.name}"] = cached
    return GeoJSONResponse(cached, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/jobs", **answers(JobsOut))
async def list_jobs(
    lang: Lang, who: Analyst, svc: Svc, state: Annotated[Literal["open", "active", "done", "all"], Query()] = "open"
) -> dict[str, Any]:
    states = None if state == "all" else STATE_SETS[state]
    jobs = await svc.run(svc.store.jobs, who.cooperative_id, states)
    listed = as_read_by(who.role, {"jobs": [job_json(j) for j in jobs]})
    return await svc.run(in_words, svc.store, who.cooperative_id, lang, listed)  # type: ignore[no-any-return]


@router.get("/jobs/{job_id}", **answers(JobOut, also=responses(404)))
async def get_job(job_id: str, who: Analyst, svc: Svc, lang: Lang) -> dict[str, Any]:
    job = as_read_by(who.role, job_json(await svc.run(svc.store.job, who.cooperative_id, job_id)))
    return await svc.run(in_words, svc.store, who.cooperative_id, lang, job)  # type: ignore[no-any-return]


@router.get("/jobs/{job_id}/path", **answers(PathOut, also=responses(404)))
async def job_path(job_id: str, who: Analyst, svc: Svc) -> dict[str, Any]:
    """The street path from pickup to drop-off for the vehicle that has (or is proposed) the job."""

    def compute() -> dict[str, Any]:
        job = svc.store.job(who.cooperative_id, job_id)
        courier_id = job.courier_id or (job.proposal or {}).get("courier_id")
        profile = "bike"
        if courier_id:
            profile = svc.store.courier(who.cooperative_id, str(courier_id)).vehicle.kind.profile
        return street_path(svc.city_of(who.cooperative_id).network, job, profile)

    return await svc.run(compute)  # type: ignore[no-any-return]


@router.get("/couriers", **answers(CouriersOut))
async def list_couriers(who: Member, svc: Svc, round_number: RoundNumber = 0) -> dict[str, Any]:
    listed = await svc.run(_with_breaks, svc.store, who.cooperative_id, round_number)
    return {"couriers": listed}


def _with_breaks(store: Store, coop_id: str, round_number: int) -> list[dict[str, Any]]:
    """The couriers in the day's rotation, each with the breaks their running shift holds (issue
    18): the console's lanes show a break's window where no plan has placed it yet."""
    listed = couriers_in_rotation(store, coop_id, _now(), round_number)
    statuses = store.courier_statuses(coop_id)
    for courier in listed:
        status = statuses.get(courier["id"])
        courier["breaks"] = list(status.breaks) if status is not None and status.on_shift else []
    return listed


@router.get("/ledger", **answers(LedgerOut))
async def ledger(who: Member, svc: Svc, day: Annotated[IsoDay | None, Query()] = None) -> dict[str, Any]:
    """The same fairness ledger for every member: dispatchers, analysts and couriers."""
    return await svc.run(ledger_of_day, svc.store, who.cooperative_id, day, _now())  # type: ignore[no-any-return]


@router.get("/positions", **answers(PositionsOut))
async def courier_positions(who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """Each courier's last shared position (only ever shared with a job in hand; kept 24 h)."""
    found = await svc.run(positions.latest, svc.store, who.cooperative_id)
    return {
        "retention_hours": svc.settings.position_retention_h,
        "positions": [
            {"courier_id": p.courier_id, "job_id": p.job_id, "lon": p.lon, "lat": p.lat, "at": p.at.isoformat()}
            for p in found
        ],
    }


@router.get("/plan", **answers(PlanOut, also=responses(404)))
async def latest_plan(who: Dispatcher, svc: Svc, lang: Lang) -> dict[str, Any]:
    """The routes of the latest planning round made by this worker (ETAs from the exact evaluator)."""
    plan = await svc.planner.current(who.cooperative_id)  # another worker's round, when newer
    if plan is None:
        raise ApiError(404, "no_plan_yet", "no_round_yet")
    return await svc.run(in_words, svc.store, who.cooperative_id, lang, plan)  # type: ignore[no-any-return]


@router.get("/jobs/{job_id}/override-cost", **answers(OverrideCostOut, also=responses(404, 409)))
async def job_override_cost(
    job_id: str, who: Dispatcher, svc: Svc, courier_id: Annotated[Ident, Query(max_length=36)], lang: Lang
) -> dict[str, Any]:
    """What giving this job to that courier would cost, before deciding (in the reader's language)."""
    network = (await svc.city(who.cooperative_id)).network
    cost = await svc.run(decision_cost, svc.store, who.cooperative_id, network, job_id, courier_id, _now())
    return await svc.run(in_words, svc.store, who.cooperative_id, lang, cost.to_json())  # type: ignore[no-any-return]


@router.get("/jobs/{job_id}/override-options", **answers(OverrideOptionsOut, also=responses(404, 409)))
async def job_override_options(
    job_id: str, who: Dispatcher, svc: Svc, lang: Lang, round_number: RoundNumber = 0
) -> dict[str, Any]:
    """Every courier in the day's rotation with what giving them this open job costs, or why
    they cannot take it, side by side in one answer: the override dialog draws it at once and
    the server builds the cooperative's travel matrix once, not once per courier. A job someone
    has is a 409 (reassign asks ``override-cost`` courier by courier)."""
    network = (await svc.city(who.cooperative_id)).network
    plan = await svc.planner.current(who.cooperative_id) or {}
    planned = {cid: [(s["job_id"], s["kind"]) for s in stops] for cid, stops in plan.get("routes", {}).items()}

    def gather() -> dict[str, Any]:
        job, options = override_options(
            svc.store, who.cooperative_id, network, job_id, _now(), planned=planned, round_number=round_number
        )
        records = {c.id: c for c in svc.store.couriers(who.cooperative_id)}
        answer = {
            "job_id": job.id,
            "job_seq": job.last_seq,
            "proposed_courier_id": (job.proposal or {}).get("courier_id"),
            "proposed_extra_minutes": (job.proposal or {}).get("explanation", {}).get("extra_minutes"),
            "couriers": [
                {
                    **o.to_json(),
                    "display_name": records[o.courier_id].display_name,
                    "vehicle": records[o.courier_id].vehicle.kind.value,
                }
                for o in options
            ],
        }
        said: dict[str, Any] = in_words(svc.store, who.cooperative_id, lang, answer)
        return said

    # one at a time per cooperative: each answer builds a problem and a travel matrix (~0.2 s of
    # CPU), so a dialog opened and closed in a loop queues here instead of taking every thread
    async with svc.cache.setdefault(f"override_options_lock:{who.cooperative_id}", asyncio.Lock()):
        return await svc.run(gather)  # type: ignore[no-any-return]


def _decide(svc: Services, who: Principal, job_id: str, body: DecisionIn) -> tuple[Event, dict[str, Any] | None]:
    decision = Decision(body.action, body.courier_id, body.reason, body.force, body.expected_seq)
    event, cost = decide_job(
        svc.store,
        who.cooperative_id,
        svc.city_of(who.cooperative_id).network,
        job_id,
        decision,
        dispatcher_id=who.subject_id,
        now=_now(),
    )
    return event, None if cost is None else cost.to_json()


@router.post("/jobs/{job_id}/decisions", **answers(DecisionOut, also=responses(404, 409)))
async def decide(
    job_id: str, body: DecisionIn, who: Dispatcher, svc: Svc, lang: Lang, request: Request
) -> dict[str, Any]:
    """accept | override | reassign | unassign, by a person; recorded with who, when and why."""
    try:
        event, cost = await svc.run(_decide, svc, who, job_id, body)
    except Conflict as exc:
        kind, _, actor_id = exc.by.partition(" ")
        name = await svc.run(display_name_of, svc.store, who.cooperative_id, kind, actor_id)
        raise ApiError(
            409,
            exc.code,
            (await svc.run(say_domain, request, exc))["message"],  # who did what, in the reader's words
            last_act=exc.last_act,
            by=exc.by,
            by_name=name,
            current_seq=exc.actual_seq,
        ) from None
    await svc.appended(who.cooperative_id, [event])
    job = await svc.run(svc.store.job, who.cooperative_id, job_id)
    answer = {"event": event_json(event), "job": job_json(job), "cost": cost}
    return await svc.run(in_words, svc.store, who.cooperative_id, lang, answer)  # type: ignore[no-any-return]


@router.post("/decisions/accept-all", **answers(AcceptAllOut))
async def accept_all(body: AcceptAllIn, who: Dispatcher, svc: Svc, request: Request) -> dict[str, Any]:
    """Accept the proposals of the listed jobs; each one stands or fails on its own (a refusal in
    the request's ``Accept-Language``)."""

    def who_acted(job_id: str, message: str) -> dict[str, Any]:
        """What the console needs to say a refusal in words: who did what to the job last, and
        the message naming the job by its places as the console does, never by its id."""
        try:
            job = svc.store.job(who.cooperative_id, job_id)
        except DomainError:
            return {"message": message}
        said = {"state": job.state.value, "message": message}
        last = svc.store.events(who.cooperative_id, after_seq=job.last_seq - 1, limit=1)
        if not last:
            return said
        actor = last[0].actor
        name = display_name_of(svc.store, who.cooperative_id, actor.kind.value, actor.id or "")
        by = f"{actor.kind.value} {actor.id}" if actor.id else actor.kind.value
        return {**said, "last_act": last[0].type.value, "by": by, "by_name": name}

    def run() -> tuple[list[dict[str, Any]], list[Event]]:
        results, events = [], []
        for job_id in dict.fromkeys(body.jobs):
            try:
                event = accept_proposal(svc.store, who.cooperative_id, job_id, dispatcher_id=who.subject_id, at=_now())
            except DomainError as exc:
                said = say_domain(request, exc)["message"]
                results.append({"job_id": job_id, "ok": False, "code": exc.code, **who_acted(job_id, said)})
                continue
            events.append(event)
            results.append({"job_id": job_id, "ok": True, "seq": event.seq})
        return results, events

    results, events = await svc.run(run)
    if events:
        await svc.appended(who.cooperative_id, events)
    return {"results": results, "accepted": sum(r["ok"] for r in results)}


@router.post(
    "/planning/rounds",
    status_code=202,
    **answers(
        RoundOut,
        202,
        also={200: {"model": RoundOut, "description": "With wait=true: the round is done, or the wait ran out"}},
    ),
)
async def ask_for_round(
    who: Dispatcher,
    svc: Svc,
    response: Response,
    lang: Lang,
    wait: Annotated[bool, Query()] = False,
    _body: NoBodyIn | None = None,
) -> dict[str, Any]:
    """Ask the planner for fresh proposals now; ``wait=true`` answers when the round is done."""
    done = svc.planner.request(who.cooperative_id)
    if wait:
        try:
            await asyncio.wait_for(done.wait(), timeout=svc.settings.planning_budget_s * 10 + 60)
        except TimeoutError:
            return {"done": False, "message": edge_words("round_still_running", lang)}
        response.status_code = 200
        return {"done": True, "plan": await svc.planner.current(who.cooperative_id)}
    return {"done": False}


@router.get("/events", **answers(EventsOut))
async def events(
    who: Analyst,
    svc: Svc,
    after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    lang: Lang = "en",
) -> dict[str, Any]:
    """The cooperative's log, page by page (the audit trail of every human decision), with the
    planner's reasons said in the reader's language beside their codes."""
    page = await svc.run(svc.store.events, who.cooperative_id, after_seq=after_seq, limit=limit)
    answer = as_read_by(who.role, {"events": [event_json(e) for e in page]})
    return await svc.run(in_words, svc.store, who.cooperative_id, lang, answer)  # type: ignore[no-any-return]


@router.post("/couriers/{courier_id}/unavailable", **answers(UnavailableOut, also=responses(404, 409)))
async def courier_unavailable(courier_id: str, body: UnavailableIn, who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """A courier must stop now (sick, a broken bike): one act for all their work (issue 18).

    Jobs not yet picked up go back to the open queue and the planner reproposes them to others
    at once; proposals to them are put aside; parcels on board are flagged for a handover; their
    shift ends. A 409 ``nothing_to_change`` when none of that is left to do (a second call).
    """
    done = await svc.run(
        commands.courier_unavailable,
        svc.store,
        who.cooperative_id,
        courier_id,
        dispatcher_id=who.subject_id,
        at=_now(),
        reason=body.reason,
    )
    if done.events:
        await svc.appended(who.cooperative_id, done.events)
    return {
        "courier_id": courier_id,
        "returned": done.returned,
        "on_board": done.on_board,
        "kept": done.kept,
        "shift_ended": done.shift_ended,
        "withdrawn": done.withdrawn,
    }


@router.post("/couriers/{courier_id}/login", status_code=201, **answers(CourierLoginOut, 201, also=responses(404, 409)))
async def give_courier_login(
    courier_id: str, body: CourierLoginIn, who: Dispatcher, svc: Svc, request: Request
) -> dict[str, Any]:
    """Give a courier a login for the phone page; the password is shown once.

    A new password ends every session the courier had (a lost phone is out at once), and their
    open sockets here are closed now rather than at the next check.
    """
    password = await svc.run(set_courier_login, svc.store, who.cooperative_id, courier_id, body.login)
    request.app.state.sessions.check_soon()
    return {"courier_id": courier_id, "login": body.login, "password": password}


# ---------------------------------------------------------------- admin acts (issue 16)
# A cooperative has no admin role: its dispatchers do these, and each is an event in the log
# (who, when, what) that every member reading the log sees.


def _me(who: Principal) -> Actor:
    return Actor(ActorKind.DISPATCHER, who.subject_id)


@router.post("/clients/{client_id}/key/revoke", **answers(KeyRevokedOut, also=responses(404, 409)))
async def revoke_key(client_id: str, who: Dispatcher, svc: Svc, _body: NoBodyIn | None = None) -> dict[str, Any]:
    """The client's API key gets in no more: at once on this worker, within 2 s on the others.
    Its deliveries stay; rotating the key gives the client a new one."""
    event = await svc.run(revoke_client_key, svc.store, who.cooperative_id, client_id, by=_me(who))
    await svc.appended(who.cooperative_id, [event])
    return {"client_id": client_id, "revoked": True, "seq": event.seq}


@router.post("/clients/{client_id}/key/rotate", status_code=201, **answers(KeyRotatedOut, 201, also=responses(404)))
async def rotate_key(client_id: str, who: Dispatcher, svc: Svc, _body: NoBodyIn | None = None) -> dict[str, Any]:
    """A new API key for the client, shown once; the old one stops working as a revoked one does."""
    key, event = await svc.run(rotate_client_key, svc.store, who.cooperative_id, client_id, by=_me(who))
    await svc.appended(who.cooperative_id, [event])
    return {"client_id": client_id, "api_key": key, "seq": event.seq}


@router.post("/members/revoke-login", **answers(LoginRevokedOut, also=responses(404, 409)))
async def revoke_login(body: MemberLoginIn, who: Dispatcher, svc: Svc, request: Request) -> dict[str, Any]:
    """A dispatcher or analyst who left: their sessions end (open sockets close within a second,
    as a logout's do) and their login is refused with the reason; a password reset reinstates it."""
    event = await svc.run(revoke_member_login, svc.store, who.cooperative_id, body.login, by=_me(who))
    request.app.state.sessions.check_soon()
    await svc.appended(who.cooperative_id, [event])
    return {"member_id": event.payload["member_id"], "login": body.login, "revoked": True, "seq": event.seq}


@router.post("/members/reset-password", status_code=201, **answers(PasswordResetOut, 201, also=responses(404)))
async def reset_password(body: MemberLoginIn, who: Dispatcher, svc: Svc, request: Request) -> dict[str, Any]:
    """A new password for a dispatcher or analyst, shown once: it reinstates a revoked login and
    ends the sessions the old one opened."""
    password, event = await svc.run(reset_member_password, svc.store, who.cooperative_id, body.login, by=_me(who))
    request.app.state.sessions.check_soon()
    await svc.appended(who.cooperative_id, [event])
    member_id = event.payload["member_id"]
    return {"member_id": member_id, "login": body.login, "password": password, "seq": event.seq}


@router.post("/couriers/{courier_id}/deactivate", **answers(CourierActiveOut, also=responses(404, 409)))
async def deactivate(
    courier_id: str, body: DeactivateIn, who: Dispatcher, svc: Svc, request: Request
) -> dict[str, Any]:
    """A courier who left: no new proposals, no login, their sockets closed; their history stays.
    Their jobs not yet picked up go back to the open queue, parcels on board are flagged for a
    handover, their shift ends."""
    done = await svc.run(deactivate_courier, svc.store, who.cooperative_id, courier_id, by=_me(who), reason=body.reason)
    request.app.state.sessions.check_soon()
    await svc.appended(who.cooperative_id, done.events)
    return {
        "courier_id": courier_id,
        "active": False,
        "seq": done.events[-1].seq,
        "returned": done.returned,
        "on_board": done.on_board,
        "shift_ended": done.shift_ended,
    }


@router.post("/couriers/{courier_id}/erase", **answers(CourierErasedOut, also=responses(404, 409)))
async def erase(courier_id: str, body: EraseIn, who: Dispatcher, svc: Svc, request: Request) -> dict[str, Any]:
    """Erase a departed courier's personal data (the right to erasure): their name becomes a
    neutral label; contact, login, sessions, positions and their own words in the log go; the
    facts (jobs done, minutes worked) stay under their id. Refused while they hold jobs or are on
    shift (deactivating them first hands their work back)."""
    done: Erased = await svc.run(
        erase_courier, svc.store, who.cooperative_id, courier_id, by=_me(who), reason=body.reason
    )
    request.app.state.sessions.check_soon()
    await svc.appended(who.cooperative_id, [done.event])
    return done.to_json()


@router.post("/couriers/{courier_id}/reactivate", **answers(CourierActiveOut, also=responses(404, 409)))
async def reactivate(courier_id: str, who: Dispatcher, svc: Svc, _body: NoBodyIn | None = None) -> dict[str, Any]:
    """A courier back: listed and planned for again once on shift, able to log in again."""
    event = await svc.run(reactivate_courier, svc.store, who.cooperative_id, courier_id, by=_me(who))
    await svc.appended(who.cooperative_id, [event])
    return {"courier_id": courier_id, "active": True, "seq": event.seq}


def settings_json(coop: Cooperative) -> dict[str, Any]:
    return {
        "fairness_weight": coop.fairness_weight,
        "fairness_riding_budget": coop.settings.get("fairness_riding_budget"),
        "tariff": tariff_of(coop).to_json(),
        "repricing": repricing_rule(coop.settings),
        "decline_reason_retention_days": declines.retention_days(coop.settings),
    }


@router.get("/cooperative/settings", **answers(SettingsOut))
async def get_settings(who: Member, svc: Svc) -> dict[str, Any]:
    """What the members set: the fairness weight, the riding budget, the tariff, the repricing rule."""
    return settings_json(await svc.run(svc.store.cooperative, who.cooperative_id))


@router.patch("/cooperative/settings", **answers(SettingsOut))
async def patch_settings(body: SettingsIn, who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """Change the fairness weight, the riding budget (null: no bound), some keys of the tariff or
    the repricing rule of a parcel found heavier than declared; what is left out stays. The next
    planning round, the next quote and the next weight reported at pickup use them."""
    given = body.model_fields_set
    if "fairness_weight" in given and body.fairness_weight is None:
        raise InvalidInput("fairness_weight", "fairness_weight")
    if "decline_reason_retention_days" in given and body.decline_reason_retention_days is None:
        raise InvalidInput("decline_reason_retention_days", "decline_reason_retention_days")
    if "repricing" in given and body.repricing is None:
        raise InvalidInput("repricing", "one_of", values=["none", "requote"])
    coop, event = await svc.run(
        lambda: change_settings(
            svc.store,
            who.cooperative_id,
            by=_me(who),
            fairness_weight=body.fairness_weight if body.fairness_weight is not None else UNCHANGED,
            riding_budget=body.fairness_riding_budget if "fairness_riding_budget" in given else UNCHANGED,
            tariff=None if body.tariff is None else body.tariff.model_dump(exclude_unset=True, exclude_none=True),
            repricing=body.repricing if body.repricing is not None else UNCHANGED,
            decline_reason_retention_days=UNCHANGED
            if body.decline_reason_retention_days is None
            else body.decline_reason_retention_days,
        )
    )
    if event is not None:
        await svc.appended(who.cooperative_id, [event])
    changed = sorted(event.payload["changes"]) if event is not None else []
    return {**settings_json(coop), "changed": changed, "seq": None if event is None else event.seq}


@router.websocket("/console/ws")
async def console_socket(ws: WebSocket) -> None:
    """Every event of the cooperative with its seq; resume with the last seq seen."""
    svc: Services = ws.app.state.services
    greeted = await hello(ws, svc, frozenset({"dispatcher"}))
    if greeted is None:
        return
    who = greeted.who
    await send(
        ws,
        {"type": "welcome", "last_seq": await svc.run(svc.store.cooperative_last_seq, who.cooperative_id)},
    )

    async def render(event: Event) -> dict[str, Any] | None:
        return {"type": "event", "seq": event.seq, "id": event.id, "data": event_json(event)}

    async def handle(message: dict[str, Any]) -> None:
        await send(ws, {**refusal(ws, "bad_message", "console_only_streams"), "id": message.get("id")})

    await serve(ws, svc, greeted, render, handle)

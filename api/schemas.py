"""What the API takes and what it answers: the published schema of every route, apart from the routes.

Inputs refuse unknown fields (``extra="forbid"``) and check their text (``Text``, ``Ident``:
dispatch/text.py); a delivery becomes the domain's ``JobRequest`` here. Answers are declared on
the routes with ``**answers(Model)`` (api/errors.py), which makes the model the route's response
model: what a handler returns is checked and serialised through it, so /openapi.json is what is
sent. Each model names every field its route sends (tests/api/test_openapi_answers.py fails on a
field sent and not named); ``Out`` still lets a field through that a model forgot, so adding one
to an answer never silently drops it. They live apart from the routers so that two routers that
take or answer the same shape (a job's street path, for dispatchers and for its courier) share
it without importing each other.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from api.errors import Ident, Text
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Urgency
from dispatch.proofs import Requirement, parse_needs, requirement

# What the API takes

# Logging in (api/sessions.py)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cooperative_id: Ident = Field(
        min_length=1, max_length=36, description="The cooperative's id, or its short name (`velo-lille`, any case)"
    )
    login: Ident = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)  #: compared as a hash, never stored


# Clients: a delivery, a cancellation, a webhook (api/clients.py)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaceIn(Strict):
    # strict: a number is a JSON number (true is not 1 kg, "5" is not 5 degrees)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, strict=True)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, strict=True)
    address: Text = Field(default="", max_length=200)


class WindowIn(Strict):
    start: AwareDatetime
    end: AwareDatetime


class ParcelIn(Strict):
    weight_kg: float = Field(gt=0, le=1000, allow_inf_nan=False, strict=True)
    volume_l: float = Field(default=0.0, ge=0, le=10_000, allow_inf_nan=False, strict=True)
    longest_side_cm: float = Field(default=30.0, gt=0, le=1000, allow_inf_nan=False, strict=True)
    bulky: StrictBool = False
    fragile: StrictBool = False
    cold: StrictBool = False


class DropoffIn(PlaceIn):
    """The drop-off, and the proof of delivery asked for there (dispatch/proofs.py)."""

    proof: list[Literal["photo", "signature", "name", "code"]] | None = Field(
        default=None, max_length=4, description="What the courier must give at the door; unset: the client's rule"
    )
    code_required: str | None = Field(
        default=None,
        min_length=4,
        max_length=32,
        pattern=r"^[A-Za-z0-9-]+$",
        description="A code you give the recipient, who shows it at the door; Tandem keeps only a hash of it",
    )

    def place(self) -> Place:
        return Place(lon=self.lon, lat=self.lat, address=self.address)

    def proof_requirement(self) -> Requirement | None:
        """What this request asks for (a code hashed here); None: the client's rule applies."""
        if self.proof is None and self.code_required is None:
            return None
        return requirement(parse_needs(self.proof or []), self.code_required)


class DeliveryIn(Strict):
    pickup: PlaceIn
    dropoff: DropoffIn
    pickup_window: WindowIn
    dropoff_window: WindowIn
    parcels: list[ParcelIn] = Field(min_length=1, max_length=50)
    contact: Text = Field(default="", max_length=100)
    notes: Text = Field(default="", max_length=500)
    urgency: Literal["standard", "express"] = "standard"

    def to_request(self) -> JobRequest:
        return JobRequest(
            pickup=Place(**self.pickup.model_dump()),
            dropoff=self.dropoff.place(),
            pickup_window=TimeWindow(self.pickup_window.start, self.pickup_window.end),
            dropoff_window=TimeWindow(self.dropoff_window.start, self.dropoff_window.end),
            parcels=tuple(Parcel(**p.model_dump()) for p in self.parcels),
            contact=self.contact,
            notes=self.notes,
            urgency=Urgency(self.urgency),
        )


class WebhookIn(Strict):
    url: Ident = Field(max_length=2000)


class CancelIn(Strict):
    reason: Text = Field(default="", max_length=500)


# Dispatchers: decisions, a courier's login (api/console.py)


#: Sequence numbers and counters stay within a signed 64-bit column (SQLite and PostgreSQL).
MAX_SEQ = 2**62


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["accept", "override", "reassign", "unassign"]
    courier_id: Ident | None = Field(default=None, max_length=36)
    reason: Text = Field(default="", max_length=500)
    force: StrictBool = False
    expected_seq: StrictInt | None = Field(default=None, ge=0, le=MAX_SEQ)  #: true is not 1


class AcceptAllIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jobs: list[Annotated[Ident, Field(max_length=36)]] = Field(min_length=1, max_length=500)


class UnavailableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=1, max_length=500, description="Why they stop (the log keeps it)")


class CourierLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: Ident = Field(min_length=1, max_length=60)


class DeactivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=1, max_length=500, description="Why they leave (the log keeps it)")


class NoBodyIn(BaseModel):
    """The body of an act that takes none: absent or ``{}``. A field in it is refused by name
    rather than ignored, so that a client who thinks it set something (an expiry, a force)
    learns it did not."""

    model_config = ConfigDict(extra="forbid")


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(
        min_length=1,
        max_length=500,
        description="On what grounds (the courier's request and its date): the log keeps it",
    )


class MemberLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: Ident = Field(min_length=1, max_length=60, description="The login of a dispatcher or analyst")


#: A price band: up to this many km or kg (null: no limit, the last band), this many cents.
Band = tuple[Annotated[float, Field(ge=0, le=100_000)] | None, Annotated[int, Field(ge=0, le=10_000_000)]]


class TariffIn(BaseModel):
    """The keys of the tariff to change; the others stay as they are."""

    model_config = ConfigDict(extra="forbid")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")
    base_cents: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    distance_bands_km: list[Band] | None = Field(default=None, min_length=1, max_length=20)
    weight_bands_kg: list[Band] | None = Field(default=None, min_length=1, max_length=20)
    express_percent: StrictInt | None = Field(default=None, ge=0, le=500)
    solidarity_percent: StrictInt | None = Field(default=None, ge=0, le=100)


class SettingsIn(BaseModel):
    """What the members change; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    fairness_weight: StrictFloat | None = Field(default=None, ge=0, le=100, description="0 = pure efficiency")
    fairness_riding_budget: StrictFloat | None = Field(
        default=None, ge=0, le=1, description="At most this share of riding added to share the work; null: no bound"
    )
    tariff: TariffIn | None = None
    repricing: Literal["none", "requote"] | None = Field(
        default=None,
        description="A parcel found heavier than declared at pickup: none keeps the price, requote prices it again",
    )
    decline_reason_retention_days: StrictInt | None = Field(
        default=None, ge=1, le=3650, description="Days a decline's words are kept once its job is settled"
    )


# Analysts: a replay (api/analysts.py)


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: dict[str, Any]  #: the JSON form of a day (see dispatch/days.py)
    policy: Literal["accept-proposals", "as-happened"] = "accept-proposals"
    fairness: list[Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=lambda: [0.5], min_length=1, max_length=5
    )
    override_rate: float = Field(default=0.0, ge=0, le=1)
    budget_s: float = Field(default=0.3, gt=0, le=10)
    seed: StrictInt = 1


# What the API answers


class Out(BaseModel):
    """What an answer holds at least; it may hold more (a new field is not a breaking change)."""

    model_config = ConfigDict(extra="allow")


# Logging in and the service's health (api/sessions.py)


class LoginOut(Out):
    token: str
    role: str
    id: str
    display_name: str
    cooperative_id: str
    expires_at: str


class HealthOut(Out):
    status: str


class ReadyOut(Out):
    status: str
    city: str


# Clients: quotes, deliveries, tracking, webhooks (api/clients.py)


class QuoteOut(Out):
    quote: dict[str, Any] = Field(description="The price, line by line.")
    distance_m: float


class DeliveryOut(Out):
    """What a client sees of a delivery: never which courier, nor anything about them."""

    id: str
    status: JobState
    requested_at: str
    picked_up_at: str | None
    finished_at: str | None
    eta: str | None
    request: dict[str, Any]
    tracking_url: str
    quote: dict[str, Any] | None = Field(default=None, description="On creation only.")


class DeliveriesOut(Out):
    deliveries: list[DeliveryOut]


class TrackOut(Out):
    status: JobState
    eta: str | None
    finished_at: str | None


class WebhookOut(Out):
    id: str
    url: str
    created_at: str


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Shown once: the key of the signatures.")
    events: list[str]


class WebhooksOut(Out):
    webhooks: list[WebhookOut]


class WebhookDeliveryOut(Out):
    """One event owed to one of the client's URLs, with every attempt to send it."""

    id: str
    webhook_id: str
    event_seq: int
    type: str = Field(description="The event's type, as in the body's type")
    status: str = Field(description="pending, delivered, or gave_up (no attempt left)")
    attempts: list[dict[str, Any]] = Field(description="Each attempt: when, the status code or the error")
    next_attempt_at: str | None = Field(description="While pending: when it is tried again")
    body: dict[str, Any] = Field(description="What is (or was) POSTed, as signed")


class WebhookDeliveriesOut(Out):
    deliveries: list[WebhookDeliveryOut] = Field(description="The latest first, at most 100")


# Dispatchers and analysts: jobs, couriers, the ledger, plans, decisions, the log (api/console.py)


class ActorOut(Out):
    kind: str
    id: str | None


class EventOut(Out):
    seq: int
    id: str
    type: str
    at: str
    actor: ActorOut
    payload: dict[str, Any]


class EventsOut(Out):
    events: list[EventOut]


class JobOut(Out):
    """A job as dispatchers see it (dispatch.projections.JobView, plus what may be done with it)."""

    id: str
    state: JobState
    allowed: list[str] = Field(description="The acts the job's state allows now.")
    last_seq: int = Field(description="Send it back as expected_seq with a decision.")
    request: dict[str, Any]
    weight_kg: float
    client_id: str
    courier_id: str | None
    proposal: dict[str, Any] | None
    needs_decision: str | dict[str, Any] | None = Field(
        description="Why the latest round could not propose this open job, or what a person must settle "
        "(a parcel to hand over): a dispatcher decides. A planner's reason is {code, params, text} (text in "
        "the Accept-Language asked for); older events and a handover hold a sentence."
    )
    declines: list[dict[str, Any]]
    requested_at: str
    picked_up_at: str | None
    finished_at: str | None
    declared_weight_kg: float | None = Field(
        description="What the client declared, when the courier weighed the parcel again at pickup."
    )
    weight_reports: int = Field(
        default=0, description="How many times a courier reported the weight or size found at pickup (at most 5)"
    )


class JobsOut(Out):
    jobs: list[JobOut]


class VehicleOut(Out):
    kind: str
    payload_kg: float
    volume_l: float
    max_length_cm: float


class CourierOut(Out):
    id: str
    display_name: str
    vehicle: VehicleOut
    active: bool
    on_shift: bool
    paused: bool
    planned_end: str | None
    jobs_in_hand: list[str]
    breaks: list[BreakOut] = Field(
        default_factory=list, description="The breaks the running shift holds (a window and minutes, issue 18)"
    )


class CouriersOut(Out):
    couriers: list[CourierOut] = Field(description="In the day's neutral rotation, never sorted by a figure.")


class LedgerRowOut(Out):
    courier_id: str
    day: str
    shift_minutes: float
    planned_shift_minutes: float
    worked_minutes: float
    kg_km: float
    heavy_jobs: int
    heavy_kg: float
    worked_share_of_shift: float | None
    shift_open_since: str | None = Field(
        default=None, description="Start of the running stretch of today's shift (shift_minutes counts closed ones)"
    )


class LedgerOut(Out):
    day: str
    fairness_weight: float
    heavy_threshold_kg: float
    couriers: list[LedgerRowOut]


class PositionOut(Out):
    courier_id: str
    job_id: str
    lon: float
    lat: float
    at: str


class PositionsOut(Out):
    retention_hours: float
    positions: list[PositionOut]


class StopOut(Out):
    job_id: str
    kind: str
    eta: str
    load_kg_after: float


class PlannedBreakOut(Out):
    start: str = Field(description="When the latest plan takes the break, between two stops")
    end: str
    minutes: int


class PlanOut(Out):
    """The latest planning round: proposals are events of the log; routes are per courier."""

    planned_at: str
    proposals: list[int] = Field(description="The seqs of the ProposalMade events of the round.")
    withheld: list[int] = Field(
        default_factory=list, description="The seqs of the ProposalWithheld events of the round (a person decides)."
    )
    kept: list[str]
    stale: list[str]
    unassigned: dict[str, dict[str, Any]] = Field(
        description="Job id -> why nobody can take it: {code, params, text} (text in the Accept-Language asked for)."
    )
    routes: dict[str, list[StopOut]]
    breaks: dict[str, list[PlannedBreakOut]] = Field(
        default_factory=dict, description="Courier id -> their shift's breaks where the round's route takes them"
    )
    metrics: dict[str, Any]
    backlog_left: bool = Field(
        description="The round left open jobs it never tried (a backlog larger than one round plans): "
        "another round follows at once."
    )


class OverrideCostOut(Out):
    job_id: str
    courier_id: str
    extra_minutes: float | None = Field(description="Riding and handling added (None: the courier is off shift).")
    proposed_extra_minutes: float | None
    lateness_minutes: float
    worked_share_after: float | None
    cooperative_share: float | None
    breaks: list[dict[str, Any]] = Field(
        description="Hard physical limits broken, each {code, params, text}: confirming needs force and a reason."
    )
    summary: list[dict[str, Any]] = Field(description="The cost part by part, each {code, params, text}.")


class CourierOptionOut(Out):
    """One courier's line of the override dialog: never a figure about the person."""

    courier_id: str
    display_name: str
    vehicle: str = Field(description="The vehicle's kind (bike, cargo_bike, e_cargo_bike...)")
    on_shift: bool
    paused: bool
    proposed: bool = Field(description="The planner proposed the job to this courier")
    load_kg: float = Field(description="The most their route holds at once now (off shift: what is on board)")
    load_l: float
    payload_kg: float
    volume_l: float
    with_job_kg: float | None = Field(description="The most their route would hold with the job (None: refused)")
    with_job_l: float | None
    extra_minutes: float | None = Field(description="Riding and handling the job adds (None: refused)")
    objective_minutes: float | None = Field(description="The same weighed by the planner's objective")
    lateness_minutes: float | None
    cost: list[dict[str, Any]] = Field(description="The cost part by part, each {code, params, text}.")
    refusals: list[dict[str, Any]] = Field(
        description="Why this courier cannot take the job as things stand (a physical limit, off shift, "
        "a pause), each {code, params, text}; empty when they can."
    )


class OverrideOptionsOut(Out):
    """Every courier in the day's rotation order (never sorted by a figure) with what giving
    them the open job costs, or why they cannot take it."""

    job_id: str
    job_seq: int = Field(description="The job's last seq these figures were computed from (expected_seq)")
    proposed_courier_id: str | None
    proposed_extra_minutes: float | None = Field(description="What the proposal said the job adds")
    couriers: list[CourierOptionOut]


class DecisionOut(Out):
    event: EventOut
    job: JobOut
    cost: OverrideCostOut | None = Field(description="What an override or reassignment costs against the proposal.")


class AcceptedOut(Out):
    job_id: str
    ok: bool
    seq: int | None = None
    code: str | None = None
    message: str | None = None
    state: str | None = Field(default=None, description="On a refusal: the job's state now")
    last_act: str | None = Field(default=None, description="On a refusal: the last act on the job (an event type)")
    by: str | None = Field(default=None, description="On a refusal: who did it (role and id)")
    by_name: str | None = Field(default=None, description="On a refusal: their display name, to say it in words")


class AcceptAllOut(Out):
    results: list[AcceptedOut]
    accepted: int


class UnavailableOut(Out):
    courier_id: str
    returned: list[str] = Field(description="Jobs back in the open queue: the next round proposes them to others")
    on_board: list[str] = Field(description="Parcels they hold: a handover (or a return) for a dispatcher to decide")
    kept: dict[str, str] = Field(description="Jobs someone acted on meanwhile: that act stands")
    shift_ended: bool
    withdrawn: list[str] = Field(description="Open jobs proposed to them: the proposal is put aside, proposed anew")


class CourierLoginOut(Out):
    courier_id: str
    login: str
    password: str = Field(description="Shown once; Tandem keeps only its hash.")


class KeyRevokedOut(Out):
    client_id: str
    revoked: bool
    seq: int = Field(description="The ClientKeyRevoked event in the log")


class KeyRotatedOut(Out):
    client_id: str
    api_key: str = Field(description="Shown once; Tandem keeps only its hash. The old key no longer works.")
    seq: int = Field(description="The ClientKeyRotated event in the log")


class LoginRevokedOut(Out):
    member_id: str
    login: str
    revoked: bool
    seq: int = Field(description="The MemberLoginRevoked event in the log")


class PasswordResetOut(Out):
    member_id: str
    login: str
    password: str = Field(description="Shown once; Tandem keeps only its hash. The old sessions ended.")
    seq: int = Field(description="The MemberPasswordReset event in the log")


class CourierErasedOut(Out):
    courier_id: str
    display_name: str = Field(description="The neutral label that replaced their name")
    positions_deleted: int
    events_redacted: int = Field(description="Events whose notes named them or held their words")
    seq: int = Field(description="The CourierErased event in the log")
    journaled: bool = Field(
        True, description="False: erased, but the erasure journal could not be written (the operator's log says why)"
    )


class CourierActiveOut(Out):
    courier_id: str
    active: bool
    seq: int = Field(description="The CourierDeactivated or CourierReactivated event in the log")
    returned: list[str] = Field(default_factory=list, description="Jobs back in the open queue")
    on_board: list[str] = Field(default_factory=list, description="Parcels they hold: a handover to decide")
    shift_ended: bool = False


class TariffOut(Out):
    currency: str
    base_cents: int
    distance_bands_km: list[list[Any]]
    weight_bands_kg: list[list[Any]]
    express_percent: int
    solidarity_percent: int


class SettingsOut(Out):
    fairness_weight: float
    fairness_riding_budget: float | None
    tariff: TariffOut
    repricing: Literal["none", "requote"] = Field(
        description="What a parcel found heavier than declared at pickup does to its price (none: the quote stands)"
    )
    decline_reason_retention_days: int = Field(
        description="Days a decline's free-text reason is kept once its job is settled, then forgotten"
    )
    changed: list[str] = Field(default_factory=list, description="What this request changed (empty: nothing)")
    seq: int | None = Field(default=None, description="The CooperativeSettingsChanged event, when one was recorded")


class RoundOut(Out):
    done: bool
    plan: PlanOut | None = None
    message: str | None = Field(
        default=None, description="With wait=true, when the wait ran out: why, in the language Accept-Language asks for"
    )


class PathOut(Out):
    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any]


class CooperativeOut(Out):
    id: str
    name: str
    fairness_weight: float


class MeOut(Out):
    """The dispatcher the console is open for."""

    id: str
    display_name: str


class MapOut(Out):
    tile_url: str = Field(description="Where the console fetches map tiles (empty: the streets are drawn instead)")
    bounds: list[float] = Field(description="min lon, min lat, max lon, max lat of the city")


class ConsoleStateOut(Out):
    cooperative: CooperativeOut
    me: MeOut
    last_seq: int = Field(description="Resume the console's socket from this seq.")
    jobs: list[JobOut]
    couriers: list[CourierOut]
    ledger: LedgerOut
    plan: PlanOut | None
    map: MapOut
    heavy_threshold_kg: float


# Couriers: their jobs, their shift, their data (api/couriers.py)


class MyJobOut(Out):
    id: str
    state: str
    courier_id: str | None
    pickup: dict[str, Any]
    dropoff: dict[str, Any]
    pickup_window: dict[str, Any]
    dropoff_window: dict[str, Any]
    parcels: list[dict[str, Any]]
    contact: str
    notes: str
    pickup_eta: str | None
    dropoff_eta: str | None
    proof_needs: list[str] = Field(
        default_factory=list, description="What the drop-off asks for (photo, signature, name, code): api/proofs.py"
    )


class BreakOut(Out):
    earliest: str
    latest: str
    minutes: int


class ShiftOut(Out):
    on_shift: bool
    paused: bool
    planned_end: str | None
    breaks: list[BreakOut] = Field(
        default_factory=list, description="The breaks the shift holds (a window and minutes): every ETA includes them"
    )


class MyJobsOut(Out):
    last_seq: int
    jobs: list[MyJobOut]
    route: list[StopOut] = Field(description="My stops in the order of the latest plan, with its ETAs")
    breaks: list[PlannedBreakOut] = Field(
        default_factory=list, description="My shift's breaks where the latest plan takes them between my stops"
    )
    position_retention_hours: float
    shift: ShiftOut


class ExportedCourierOut(Out):
    id: str
    display_name: str
    contact: str
    vehicle: str
    payload_kg: float
    volume_l: float
    max_length_cm: float


class ExportOut(Out):
    exported_at: str
    courier: ExportedCourierOut
    events: list[EventOut] = Field(description="Every event that names me, as the log keeps it")
    ledger: list[dict[str, Any]]
    positions: list[dict[str, Any]]
    proofs: list[dict[str, Any]] = Field(
        default_factory=list, description="The proofs of delivery I gave, each file at its url (null once purged)"
    )


# Analysts: replays (api/analysts.py)


class ReplayStartedOut(Out):
    id: str
    status: Literal["running", "done", "failed"]


class ReplayResultOut(Out):
    policy: str
    summary: dict[str, float]
    couriers: list[dict[str, Any]]


class ReplayOut(ReplayStartedOut):
    error: str | None
    results: list[ReplayResultOut] = Field(description="One per fairness weight, as each finishes.")

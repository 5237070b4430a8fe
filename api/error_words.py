"""The domain's refusals in the reader's language: each ``why`` of ``dispatch/errors.py`` said in
English or French, with jobs named by their places and people by their names (never a UUID, never
an event's class name), here at the edge.

The API says a refusal in the request's ``Accept-Language`` (``api/errors.py``), keeping ``code``
for machines; ``str(error)`` is the English words (installed in ``dispatch.errors`` below), for
the CLI and the logs. A ``why`` that is not a key here is older text and is said as it is.

The API's own refusals (a credential, a role, a size, a rate, a malformed request's problems) are
said from here too. The courier's and the console's sockets say a refusal in the language their
hello names (``lang``: a page cannot set a header on a WebSocket, so it says its own there), else
in the upgrade's ``Accept-Language``, like an HTTP answer; the events they push carry reason
codes with parameters, which each client says from ``GET /v1/reasons`` in its selected language:
one event goes to many readers, each in their own language.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any

from api.i18n import DEFAULT, render
from dispatch.errors import DomainError, InvalidInput, speak_with
from dispatch.projections import JobView
from routing.reasons import is_reason

#: The words of every ``why``, with ``{param}`` where its parameter goes.
ERRORS: dict[str, dict[str, str]] = {
    "en": {
        "not_found": "no such {kind} in this cooperative",
        "not_a_coordinate": "point #{point} (lat {lat}, lon {lon}) is not a valid longitude/latitude",
        "off_the_streets": "point #{point} (lat {lat}, lon {lon}) is {metres} m from the nearest street a {vehicle} "
        "can use (at most {max_m} m allowed)",
        "no_cooperative": "no such cooperative on this server",
        "illegal_transition": "{job} is {state}: it cannot be {act} now",
        "idempotency_conflict": "the idempotency key {key} was already used for a different request",
        "conflict": "{job} changed since you looked: {by} {last_act}",
        "too_many_reports": "{job} was already reported {limit} times: ask a dispatcher to correct it",
        "physical_limit": "a physical limit is broken ({breaks}); to do it anyway, confirm with force and say why",
        "handover_limit": "the handover is refused ({breaks}); to do it anyway, confirm with force and say why",
        "shift_limit": "the courier is not riding now ({breaks}); to give them the job anyway, confirm with force "
        "and say why",
        "proposed_to_off_shift": "{job} is proposed to {name}, who is not on shift: wait for the next round's "
        "proposal, or use override to give it to a courier on shift",
        "job_finished": "{job} is {state}: there is nothing left to decide",
        "accepted_off_shift": "{job} is proposed to {courier}, who is not on shift",
        "rota_changed": "the rota of the week of {monday} changed since you looked: {by} {last_act}",
        "not_open": "{job} is {state}: only an open job is given; use reassign to move it",
        "proof_after_pickup": "{job} is {state}: a proof is given at the door, after the parcel is picked up",
        "login_failed": "unknown login or wrong password",
        "login_revoked": "this login was revoked by the cooperative; an administrator can reinstate it with a "
        "password reset",
        # refusals of the API itself (api/auth.py, api/errors.py, api/ratelimit.py, api/sockets.py)
        "one_authorization": "send one credential: one Authorization header, not several",
        "one_credential": "send one credential: Authorization or X-API-Key, not both",
        "bearer_form": "use 'Authorization: Bearer <API key or token>'",
        "credential_needed": "this needs an API key or a login token",
        "unknown_credential": "unknown, revoked or expired credential",
        "wrong_role": "{role} may not do this (it is for {roles})",
        "socket_token": "unknown, expired or wrong-role token",
        "session_ended": "this session has ended (logged out, a new password, or expired): log in again",
        "body_too_large": "the body is larger than {limit} bytes",
        "login_body_too_large": "a login body is at most {limit} bytes",
        "too_many_requests": "too many requests: at most {most} per {span}; try again in {wait} s",
        "too_many_login_attempts": "too many login attempts for this account: at most {most} per {span}; try again "
        "in {wait} s",
        "too_many_positions": "too many positions: at most {most} per {span}; try again in {wait} s",
        "control_character_in_address": "the address holds a control character",
        "json_number_digits": "numbers have at most {most} digits",
        "json_nesting": "arrays and objects nest at most {most} deep",
        "no_such_route": "no such address in this API",
        "method_not_allowed": "this address does not take {method}",
        "invalid_request": "invalid request",
        "not_valid_json": "not valid JSON at line {line} column {column} ({detail})",
        "not_valid_json_there": "not valid JSON at line {line} column {column}",
        "json_expecting_value": "a value was expected",
        "json_expecting_comma": "a comma was expected",
        "json_expecting_colon": "a colon was expected",
        "json_expecting_name": "a name in double quotes was expected",
        "json_unterminated_string": "a string is not closed",
        "json_control_character": "a control character inside a string",
        "json_bad_escape": "an escape that is not valid",
        "json_extra_data": "more text after the end",
        "json_trailing_comma": "a comma before the end",
        "required": "is required",
        "unknown_field": "is not a field of this request",
        "must_be_whole_number": "must be a whole number",
        "must_be_number": "must be a number",
        "must_be_object": "must be an object",
        "must_be_list": "must be a list",
        "must_be_date": "must be a date (YYYY-MM-DD)",
        "must_be_uuid": "must be a UUID",
        "value_at_least": "must be at least {limit}",
        "value_more_than": "must be more than {limit}",
        "value_at_most": "must be at most {limit}",
        "value_less_than": "must be less than {limit}",
        "too_few_characters": "must be at least {limit} characters",
        "too_many_items": "must have at most {limit} items",
        "too_few_items": "must have at least {limit} items",
        "lang_hello": "lang is one of {values}",
        "image_larger_than": "the image is larger than {limit} bytes",
        "uploads_being_stored": "{most} of your uploads are still being stored: send the next when one is done",
        "replays_running": "{most} replays are already running here; try again when one is done",
        "last_seq_form": "last_seq is a whole number, 0 or more",
        "text_frames": "messages are JSON text frames",
        "message_too_large": "messages are at most {limit} bytes",
        "json_objects": "messages are JSON objects",
        "object_with_type": "a message is an object with a 'type'",
        "unknown_message_type": "unknown type {value}",
        "already_greeted": "this socket has already said hello: one hello per socket, it stays who it said it was",
        "act_needs_id": "an act needs an 'id'",
        "data_is_object": "'data' is an object",
        "console_only_streams": "the console socket only streams; decide through POST /v1/jobs/<id>/decisions",
        # the API's own refusals in its routes (api/week.py, api/clients.py, api/analysts.py, api/console.py,
        # api/proofs.py, api/deps.py, api/couriers.py, api/services.py, api/sessions.py, api/errors.py)
        "contract_by_dispatcher": "contracted hours are set by a dispatcher",
        "unknown_tracking_link": "unknown tracking link",
        "no_replay_here": "no such replay here (replays live on the worker that ran them)",
        "replay_running": "the replay is still running: its report comes when it is done",
        "replay_failed": "the replay failed: it has no report",
        "no_round_yet": "no planning round has finished here yet; ask for one",
        "round_still_running": "the round is still running; its proposals will arrive on the socket",
        "proof_purged": "this proof was deleted on {purged_on}, at the end of its retention",
        "data_url_base64": "a data URL must be base64 (data:image/jpeg;base64,...)",
        "image_base64": "the image must be base64",
        "destination_refused": "destination refused",
        "day_written": "a day is written YYYY-MM-DD, e.g. 2026-12-04",
        "clock_written": "a time of day is written HH:MM, from 00:00 to 24:00",
        "must_match_pattern": "must match the pattern {pattern}",
        "whole_digits": "a whole number, written with digits only, e.g. 7",
        "weight_or_size_found": "give the weight found (weight_kg), the size (volume_l, longest_side_cm), or both",
        "city_unavailable": "the cooperative's city cannot be opened on this server now (the operator's log says why)",
        "database_silent": "the database does not answer ({detail})",
        "value_unstorable": "a value is out of range or holds characters that cannot be stored",
        "internal_error": "something went wrong on our side; it has been logged",
        # nothing to change (dispatch/store/access.py, dispatch/store/erasure.py, dispatch/commands.py)
        "nothing_to_stop": "{courier} is not on shift and holds no job, proposal or parcel left to hand over: "
        "there is nothing to stop",
        "same_weight_and_size": "{job} already has the weight and size you found",
        "key_already_revoked": "this client's key is already revoked",
        "already_deactivated": "{courier} is already deactivated",
        "already_active": "{courier} is active",
        "login_already_revoked": "the login {login} is already revoked",
        "already_erased": "this courier is already erased",
        "erased_for_good": "{courier} was erased, and an erasure is final: someone who comes back is added as a "
        "new courier",
        "still_holds_jobs": "{courier} still holds {jobs} job(s): unassign or hand them over first "
        "(deactivate-courier does both)",
        "erase_on_shift": "{courier} is on shift: end the shift first (deactivate-courier ends it)",
        # a request the cooperative cannot serve (dispatch/intake.py): the sentence alone
        "window_in_past": "{window} closed at {closed_at}, before now",
        "window_too_far": "{window} closes more than {days} days from now",
        "no_vehicle": "the cooperative has no courier with a vehicle yet",
        "no_vehicle_can_carry": "no vehicle of the cooperative can carry {measure} of {need} {unit} "
        "(the largest takes {best} {unit})",
        "outside_service_area": "the {place} ({lon}, {lat}) is outside the area the cooperative serves "
        "({lon_min}..{lon_max} E, {lat_min}..{lat_max} N)",
        "unreachable": "the {place} is more than {reach} from any street the vehicles able to carry these "
        "parcels can use",
        # what is wrong with one input (said after its field's name)
        "must_be_text": "must be text",
        "must_not_be_empty": "must not be empty",
        "too_many_characters": "must be at most {limit} characters",
        "control_characters": "must not contain control characters",
        "control_character": "must not contain control characters ({char})",
        "invisible_character": "must not contain invisible or direction-changing characters ({char})",
        "lone_surrogate": "must be valid Unicode (a lone surrogate)",
        "finite_number": "must be a finite number",
        "from_low_to_high": "must be at least {low} and at most {high} (got {value})",
        "above_low_to_high": "must be more than {low} and at most {high} (got {value})",
        "date_time_with_zone": "must be a date-time with a time zone (ISO 8601, e.g. 2026-11-28T12:00:00+02:00)",
        "needs_time_zone": "needs a time zone",
        "unknown_time_zone": "unknown time zone {value} (use an IANA name such as Europe/Paris)",
        "one_of": "must be one of {values}",
        "true_or_false": "must be true or false",
        "ends_before_start": "ends ({end}) before it starts ({start})",
        "parcels_per_job": "a job carries 1 to {most} parcels",
        "dropoff_before_pickup": "closes before the pickup window opens",
        "json_utf8": "must be JSON text in UTF-8",
        "malformed_request": "malformed request ({detail})",
        "say_why": "say why, in a few words",
        "forced_needs_reason": "a forced decision needs a reason",
        "found_out_of_range": "must be {measure}, at least {low} and at most {high}",
        "metres_not_negative": "must be a distance in metres, 0 or more",
        "shift_ends_before_start": "a shift must end after it starts",
        "use_reassign": "{job} is {state} ({by} {last_act}): use reassign to move it to another courier",
        "use_override": "{job} is {state}: use override to give an open job",
        "on_board_use_reassign": "{job} is picked up: its parcel is on board; use reassign to hand it over to "
        "another courier",
        "already_with": "{job} is already with {courier}",
        "needs_courier": "“{action}” needs the courier to give the job to",
        "courier_deactivated_give": "this courier is deactivated: reactivate them before giving them work",
        "nothing_to_decide": "{job} is {state}: there is nothing to decide",
        "not_assigned_to": "{job} is not assigned to {courier}",
        "job_exists": "{job} already exists",
        "nothing_to_propose": "{job} is {state}: nothing to propose",
        "proposed_to_another": "{job} is proposed to another courier than {courier}",
        "weighed_at_pickup": "{job} is {state}: parcels are weighed at pickup",
        "already_on_shift": "{courier} is already on shift",
        "not_on_shift": "{courier} is not on shift",
        "not_on_pause": "{courier} is not on a pause",
        "already_on_pause": "{courier} is already on a pause",
        "position_only_in_hand": "a position is shared only while the courier has that job in hand",
        "erasure_grounds": "say on what grounds (the courier's request, its date): the log keeps it",
        "login_length": "must be 1 to 60 characters",
        "login_spaces": "must not begin or end with a space",
        "short_name_form": "{short_name} is not a short name: 2 to {limit} lower-case letters, digits and single "
        "hyphens, beginning with a letter (e.g. velo-lille)",
        "short_name_taken": "{short_name} is taken by another cooperative on this server",
        "needed_by_act": "this act needs it: the id of the job it is about",
        "login_taken": "{login} is already taken in this cooperative",
        "own_login": "you cannot revoke your own login: another dispatcher or the operator can",
        "not_a_tariff_setting": "not a tariff setting (they are: {values})",
        "currency_code": "an ISO 4217 code of three capital letters (EUR, CHF, SEK...)",
        "band_pairs": "bands are [up to (null: no limit), cents] pairs",
        "malformed_tariff": "malformed tariff ({detail})",
        "fairness_weight": "a number from 0 (pure efficiency) to 100",
        "decline_reason_retention_days": "a whole number of days from 1 to 3650",
        "riding_budget": "must be a share between 0 and 1 (0.05: at most +5 % riding)",
        "plain_json": "must be plain JSON ({detail})",
        "key_length": "must be 1 to 200 characters",
        "one_cooperative_per_batch": "every event of one batch belongs to one cooperative",
        "acts_for_themself": "a courier acts only for themself",
        "unknown_event_type": "unknown event type {value}",
        "payload_needs": "needs {values}",
        # proofs of delivery (dispatch/proofs.py, dispatch/store/proofs.py)
        "proofs_needed": "this delivery needs {proofs} before it is marked delivered",
        "code_shape": "a code is 4 to 32 letters, digits or dashes",
        "too_many_codes": "{most} wrong codes were tried: a dispatcher must decide",
        "wrong_code": "the recipient's code does not match the one the client gave",
        "not_a_proof": "{value} is not a proof: photo, signature, name or code",
        "code_needed": "a code proof needs the code the recipient will show",
        "recipient_name_length": "the recipient's name is 1 to 100 characters",
        "image_too_large": "the image is {size} bytes; at most {most} are accepted",
        "not_an_image": "not a JPEG, PNG or WebP image (judged by its content, not its name)",
        "too_many_pixels": "the image has more than {most} pixels",
        "side_too_long": "the image is {width} x {height} px; a side may be at most {most} px",
        "too_narrow": "the image is {width} x {height} px; its sides may be at most {most} to 1 apart",
        "not_a_proof_key": "not a proof's key",
        "code_per_request": "a code is given per request (the client gives it to the recipient)",
        # shifts, tariffs, availability, webhooks
        "shift_ends_within": "a shift ends within {hours} hours",
        "breaks_shape": "a list of breaks, each with earliest and latest (date-times) and minutes (a whole number)",
        "break_times": "earliest and latest are ISO 8601 date-times with a time zone",
        "break_minutes": "minutes is a whole number",
        "too_many_breaks": "at most {most} breaks in a shift",
        "break_time_zone": "earliest and latest need a time zone",
        "break_length": "a break lasts at least a minute and fits between its earliest and latest",
        "break_inside_shift": "a break lies inside the shift",
        "breaks_overlap": "the breaks cannot all be taken one after another, each in its window: they overlap",
        "one_band_at_least": "needs at least one band",
        "bands_increase": "band limits must increase",
        "whole_cents": "amounts are whole cents, 0 or more",
        "last_band_open": "the last band must be open-ended (up_to = infinity)",
        "kilograms_not_negative": "must be 0 or more kilograms",
        "time_of_day": "a time of day is written HH:MM, 00:00 to 24:00 (got {value})",
        "day_format": "a day is written YYYY-MM-DD (got {value})",
        "window_in_one_day": "a window ends after it starts, inside one day ({window})",
        "windows_overlap": "{day} {window} overlaps {other}",
        "list_of_objects": "a list of objects",
        "at_most": "at most {most}",
        "weekday": "0 (Monday) to 6 (Sunday)",
        "exception_twice": "{day} has an exception already: give its windows once",
        "given_twice": "given more than once in the query: give it once",
        "last_before_first": "the last day ({last}) comes before the first ({first})",
        "holiday_too_long": "a holiday lasts at most {days} days",
        "url_length": "must be a URL of at most {most} characters",
        "url_host_port": "must be a URL with a valid host and port",
        "url_scheme": "must be an absolute URL ({values})",
        "url_credentials": "must not carry a user name or password",
        "too_many_webhooks": "a client registers at most {most} webhooks",
        # backups (dispatch/store/backup.py, the CLI's)
        "in_memory_backup": "an in-memory SQLite database cannot be backed up",
        "pg_tool_needed": "{tool} is needed for PostgreSQL backups (Debian: postgresql-client)",
        "no_sqlite_database": "no SQLite database at {path}",
        "tool_failed": "{tool} failed: {detail}",
        "no_backup_file": "no backup file at {path}",
        "restore_not_empty": "it already holds cooperatives; restore into an empty one, or replace it",
        "not_a_backup": "not a Tandem SQLite backup: {detail}",
        # the week's rota, contracts, swaps and absences (dispatch/week.py)
        "week_by_monday": "a week is named by its Monday, YYYY-MM-DD (got {value})",
        "week_begins_monday": "{given} is a {day}; its week begins on {monday}",
        "week_years": "a week between {first} and {last} (got {value})",
        "month_by_name": "a month is named YYYY-MM, between {first} and {last} (got {value})",
        "time_years": "a time between {first} and {last} (got {value})",
        "rota_settings_object": "an object of rota settings",
        "unknown_rota_setting": "unknown; the rota settings are {values}",
        "rota_hours": "a number of hours (or seconds) from 0 to 24",
        "first_before_last": "first_h comes before last_h",
        "whole_hours": "whole hours from 0 to {most}",
        "min_above_max": "the minimum ({low} h) is above the maximum ({high} h)",
        "deactivated": "{courier} is deactivated",
        "courier_erased_for_good": "this courier left the cooperative and was erased: an erasure is final, so they "
        "are given no more work; pick someone who works here",
        "shift_length": "a shift lasts {low} to {high} h",
        "not_available": "{courier} declared no availability on {day} at {hours}",
        "one_shift_a_day": "{courier} has a shift on {day} already: one shift a day",
        "too_little_rest": "{courier} would rest {gap} h between {first} and {last} (at least {most} h)",
        "over_contract": "{courier} would work {hours} h this week; their contract says at most {most} h",
        "shift_needs": "a shift to {action} needs its {key}",
        "not_in_week": "{given} is not in the week of {monday}",
        "shift_hours": "whole hours, 0 <= start_h < end_h <= 24: a shift ends after it starts, inside one day",
        "no_rota_yet": "no rota for the week of {monday} yet: ask for a proposal first",
        "nothing_to_publish": "nothing to publish for the week of {monday}: no draft is open",
        "swap_with_colleague": "a swap is with a colleague",
        "absent_not_swapped": "this shift is marked absent ({absence}): it cannot be swapped; a dispatcher "
        "assigns a cover instead",
        "swap_decided": "this swap was {state} already",
        "swap_begun": "this shift began on {day} at {start_h}:00: only a shift still to come can be swapped",
        "swap_pending": "a swap of this shift is already waiting for a dispatcher's decision",
        "say_why_swap": "say why the swap is refused, in a few words",
        "in_the_draft": "in the draft open for the week of {monday}: {error} (edit the draft, or refuse the swap)",
        "rolling_days": "a rolling view of {choices} days (got {value})",
        "shift_in_draft": "this shift is in the draft of the week of {monday}: publish it first",
        "absence_recorded": "the absence on this shift was recorded already ({absence})",
        "no_absence_yet": "no absence was recorded on this shift: record it first",
        "covered_already": "this shift is covered already",
        "the_one_absent": "{courier} is the one absent",
        "absent_too": "{courier} cannot come that day either",
        "cannot_cover": "{courier} cannot cover: {detail}",
        "cannot_cover_draft": "{courier} cannot cover in the draft open for the week of {monday}: {detail} "
        "(edit the draft, or pick someone else)",
        # overtime decided by dispatch (dispatch/overtime.py)
        "day_by_date": "a day is named YYYY-MM-DD, between {first} and {last} (got {value})",
        "overtime_in_future": "{day} has not begun yet (today is {today}): overtime is decided on time worked",
        "overtime_minutes": "whole minutes from 0 to {most}, the length of that day (got {value})",
        "no_overtime_to_withdraw": "no overtime of {courier} stands on {day}: there is nothing to withdraw",
        "overtime_changed": "the overtime of {courier} on {day} changed since you looked: {by} decided {minutes} "
        "min; read it again before deciding",
        "overtime_withdrawn": "the overtime of {courier} on {day} changed since you looked: {by} withdrew it; read "
        "it again before deciding",
        # a courier's availability declared from a stale read (dispatch/availability.py)
        "availability_redeclared": "the availability of {courier} changed since you read it: {by} declared it "
        "again; nothing was saved; read it again before saving",
        "availability_redeclared_by_courier": "the availability of {courier} changed since you read it: {courier} "
        "saved it again; nothing was saved; read it again before saving",
    },
    "fr": {
        "not_found": "{kind} introuvable dans cette coopérative",
        "not_a_coordinate": "le point n° {point} (lat {lat}, lon {lon}) n'est pas une longitude/latitude valide",
        "off_the_streets": "le point n° {point} (lat {lat}, lon {lon}) est à {metres} m de la rue la plus proche "
        "qu'un véhicule {vehicle} peut prendre (au plus {max_m} m permis)",
        "no_cooperative": "aucune coopérative de ce nom sur ce serveur",
        "illegal_transition": "{job} est {state} : elle ne peut pas être {act} maintenant",
        "idempotency_conflict": "la clé d'idempotence {key} a déjà servi pour une autre requête",
        "conflict": "{job} a changé depuis que vous l'avez vue : {by} {last_act}",
        "too_many_reports": "{job} a déjà été signalée {limit} fois : demandez à la répartition de corriger",
        "physical_limit": "une limite physique est dépassée ({breaks}) ; pour le faire quand même, confirmez "
        "avec « forcer » et dites pourquoi",
        "handover_limit": "le passage de relais est refusé ({breaks}) ; pour le faire quand même, confirmez avec "
        "« forcer » et dites pourquoi",
        "shift_limit": "la personne ne roule pas maintenant ({breaks}) ; pour lui confier la course quand même, "
        "confirmez avec « forcer » et dites pourquoi",
        "proposed_to_off_shift": "{job} est proposée à {name}, qui n'est pas en service : attendez la proposition "
        "du prochain tour, ou confiez-la à une personne en service",
        "job_finished": "{job} est {state} : il ne reste rien à décider",
        "accepted_off_shift": "{job} est proposée à {courier}, qui n'est pas en service",
        "rota_changed": "le planning de la semaine du {monday} a changé depuis que vous l'avez vu : {by} {last_act}",
        "not_open": "{job} est {state} : seule une course ouverte se confie ; réattribuez-la pour la déplacer",
        "proof_after_pickup": "{job} est {state} : une preuve se donne à la porte, après le retrait du colis",
        "login_failed": "identifiant inconnu ou mot de passe erroné",
        "login_revoked": "cet identifiant a été révoqué par la coopérative ; un administrateur peut le rétablir en "
        "réinitialisant le mot de passe",
        "one_authorization": "envoyez un seul identifiant : un seul en-tête Authorization, pas plusieurs",
        "one_credential": "envoyez un seul identifiant : Authorization ou X-API-Key, pas les deux",
        "bearer_form": "utilisez « Authorization: Bearer <clé d'API ou jeton> »",
        "credential_needed": "il faut une clé d'API ou un jeton de connexion",
        "unknown_credential": "identifiant inconnu, révoqué ou expiré",
        "wrong_role": "{role} ne peut pas faire ceci (c'est pour {roles})",
        "socket_token": "jeton inconnu, expiré ou d'un autre rôle",
        "session_ended": "cette session est terminée (déconnexion, nouveau mot de passe ou expiration) : "
        "reconnectez-vous",
        "body_too_large": "le corps de la requête dépasse {limit} octets",
        "login_body_too_large": "le corps d'une connexion fait au plus {limit} octets",
        "too_many_requests": "trop de requêtes : au plus {most} par {span} ; réessayez dans {wait} s",
        "too_many_login_attempts": "trop de tentatives de connexion pour ce compte : au plus {most} par {span} ; "
        "réessayez dans {wait} s",
        "too_many_positions": "trop de positions : au plus {most} par {span} ; réessayez dans {wait} s",
        "control_character_in_address": "l'adresse contient un caractère de contrôle",
        "json_number_digits": "les nombres ont au plus {most} chiffres",
        "json_nesting": "les tableaux et objets s'imbriquent sur au plus {most} niveaux",
        "no_such_route": "cette adresse n'existe pas dans l'API",
        "method_not_allowed": "cette adresse n'accepte pas {method}",
        "invalid_request": "requête invalide",
        "not_valid_json": "JSON invalide à la ligne {line}, colonne {column} ({detail})",
        "not_valid_json_there": "JSON invalide à la ligne {line}, colonne {column}",
        "json_expecting_value": "une valeur était attendue",
        "json_expecting_comma": "une virgule était attendue",
        "json_expecting_colon": "un deux-points était attendu",
        "json_expecting_name": "un nom entre guillemets doubles était attendu",
        "json_unterminated_string": "une chaîne n'est pas fermée",
        "json_control_character": "un caractère de contrôle dans une chaîne",
        "json_bad_escape": "un échappement invalide",
        "json_extra_data": "du texte après la fin",
        "json_trailing_comma": "une virgule avant la fin",
        "required": "est obligatoire",
        "unknown_field": "n'est pas un champ de cette requête",
        "must_be_whole_number": "doit être un nombre entier",
        "must_be_number": "doit être un nombre",
        "must_be_object": "doit être un objet",
        "must_be_list": "doit être une liste",
        "must_be_date": "doit être une date (AAAA-MM-JJ)",
        "must_be_uuid": "doit être un UUID",
        "value_at_least": "doit valoir au moins {limit}",
        "value_more_than": "doit valoir plus de {limit}",
        "value_at_most": "doit valoir au plus {limit}",
        "value_less_than": "doit valoir moins de {limit}",
        "too_few_characters": "doit faire au moins {limit} caractères",
        "too_many_items": "doit avoir au plus {limit} éléments",
        "too_few_items": "doit avoir au moins {limit} éléments",
        "lang_hello": "lang vaut l'une des valeurs {values}",
        "image_larger_than": "l'image dépasse {limit} octets",
        "uploads_being_stored": "{most} de vos envois sont encore en cours d'enregistrement : envoyez le suivant "
        "quand l'un est fini",
        "replays_running": "{most} rejeux tournent déjà ici ; réessayez quand l'un est fini",
        "last_seq_form": "last_seq est un nombre entier, 0 ou plus",
        "text_frames": "les messages sont des trames texte JSON",
        "message_too_large": "les messages font au plus {limit} octets",
        "json_objects": "les messages sont des objets JSON",
        "object_with_type": "un message est un objet avec un « type »",
        "unknown_message_type": "type inconnu {value}",
        "already_greeted": "ce socket a déjà dit hello : un seul hello par socket, il reste qui il a dit être",
        "act_needs_id": "un acte a besoin d'un « id »",
        "data_is_object": "« data » est un objet",
        "console_only_streams": "le socket de la console ne fait que diffuser ; décidez par POST "
        "/v1/jobs/<id>/decisions",
        "contract_by_dispatcher": "les heures du contrat sont fixées par la répartition",
        "unknown_tracking_link": "lien de suivi inconnu",
        "no_replay_here": "aucun rejeu de ce nom ici (un rejeu vit sur le processus qui l'a fait tourner)",
        "replay_running": "le rejeu tourne encore : son rapport vient quand il est fini",
        "replay_failed": "le rejeu a échoué : il n'a pas de rapport",
        "no_round_yet": "aucun tour de planification n'est encore fini ici ; demandez-en un",
        "round_still_running": "le tour tourne encore ; ses propositions arriveront par le socket",
        "proof_purged": "cette preuve a été supprimée le {purged_on}, au terme de sa conservation",
        "data_url_base64": "une URL data doit être en base64 (data:image/jpeg;base64,...)",
        "image_base64": "l'image doit être en base64",
        "destination_refused": "destination refusée",
        "day_written": "un jour s'écrit AAAA-MM-JJ, par exemple 2026-12-04",
        "clock_written": "une heure s'écrit HH:MM, de 00:00 à 24:00",
        "must_match_pattern": "doit suivre le motif {pattern}",
        "whole_digits": "un nombre entier, écrit en chiffres seulement, par exemple 7",
        "weight_or_size_found": "donnez le poids constaté (weight_kg), la taille (volume_l, longest_side_cm), ou "
        "les deux",
        "city_unavailable": "la ville de la coopérative ne peut pas être ouverte sur ce serveur pour l'instant (le "
        "journal de l'opérateur dit pourquoi)",
        "database_silent": "la base de données ne répond pas ({detail})",
        "value_unstorable": "une valeur est hors limites ou contient des caractères impossibles à enregistrer",
        "internal_error": "une erreur s'est produite de notre côté ; elle a été consignée",
        "nothing_to_stop": "{courier} n'est pas en service et n'a ni course, ni proposition, ni colis à passer : "
        "il n'y a rien à arrêter",
        "same_weight_and_size": "{job} a déjà le poids et la taille que vous avez trouvés",
        "key_already_revoked": "la clé de ce client est déjà révoquée",
        "already_deactivated": "{courier} est déjà désactivé·e",
        "already_active": "{courier} est actif·ve",
        "login_already_revoked": "l'identifiant {login} est déjà révoqué",
        "already_erased": "cette personne est déjà effacée",
        "erased_for_good": "{courier} a été effacé·e, et un effacement est définitif : une personne qui revient "
        "est ajoutée comme nouveau coursier ou nouvelle coursière",
        "still_holds_jobs": "{courier} a encore {jobs} course(s) : reprenez-les ou passez-les d'abord "
        "(deactivate-courier fait les deux)",
        "erase_on_shift": "{courier} est en service : terminez d'abord le service (deactivate-courier le termine)",
        "window_in_past": "{window} s'est fermée à {closed_at}, avant maintenant",
        "window_too_far": "{window} se ferme plus de {days} jours après maintenant",
        "no_vehicle": "la coopérative n'a encore aucune personne avec un véhicule",
        "no_vehicle_can_carry": "aucun véhicule de la coopérative ne peut porter {measure} de {need} {unit} "
        "(le plus grand prend {best} {unit})",
        "outside_service_area": "le point de {place} ({lon}, {lat}) est hors de la zone que sert la coopérative "
        "({lon_min}..{lon_max} E, {lat_min}..{lat_max} N)",
        "unreachable": "le point de {place} est à plus de {reach} de toute rue praticable par les véhicules "
        "capables de porter ces colis",
        "must_be_text": "doit être du texte",
        "must_not_be_empty": "ne doit pas être vide",
        "too_many_characters": "doit faire au plus {limit} caractères",
        "control_characters": "ne doit pas contenir de caractères de contrôle",
        "control_character": "ne doit pas contenir de caractères de contrôle ({char})",
        "invisible_character": "ne doit pas contenir de caractères invisibles ou qui changent le sens d'écriture "
        "({char})",
        "lone_surrogate": "doit être de l'Unicode valide (un demi-caractère isolé)",
        "finite_number": "doit être un nombre fini",
        "from_low_to_high": "doit être au moins {low} et au plus {high} (reçu : {value})",
        "above_low_to_high": "doit être plus de {low} et au plus {high} (reçu : {value})",
        "date_time_with_zone": "doit être une date et une heure avec un fuseau horaire (ISO 8601, par exemple "
        "2026-11-28T12:00:00+02:00)",
        "needs_time_zone": "il faut un fuseau horaire",
        "unknown_time_zone": "fuseau horaire inconnu : {value} (utilisez un nom IANA comme Europe/Paris)",
        "one_of": "doit être l'une des valeurs {values}",
        "true_or_false": "doit être true ou false",
        "ends_before_start": "finit ({end}) avant de commencer ({start})",
        "parcels_per_job": "une course porte de 1 à {most} colis",
        "dropoff_before_pickup": "se ferme avant l'ouverture de la fenêtre de retrait",
        "json_utf8": "doit être du texte JSON en UTF-8",
        "malformed_request": "demande mal formée ({detail})",
        "say_why": "dites pourquoi, en quelques mots",
        "forced_needs_reason": "une décision forcée demande une raison",
        "found_out_of_range": "doit être {measure}, au moins {low} et au plus {high}",
        "metres_not_negative": "doit être une distance en mètres, 0 ou plus",
        "shift_ends_before_start": "un service doit finir après avoir commencé",
        "use_reassign": "{job} est {state} ({by} {last_act}) : réattribuez-la pour la confier à une autre personne",
        "use_override": "{job} est {state} : « override » confie une course ouverte",
        "on_board_use_reassign": "{job} est retirée : son colis est à bord ; réattribuez-la pour la passer à une "
        "autre personne",
        "already_with": "{job} est déjà avec {courier}",
        "needs_courier": "« {action} » demande la personne à qui confier la course",
        "courier_deactivated_give": "cette personne est désactivée : réactivez-la avant de lui donner du travail",
        "nothing_to_decide": "{job} est {state} : il n'y a rien à décider",
        "not_assigned_to": "{job} n'est pas attribuée à {courier}",
        "job_exists": "{job} existe déjà",
        "nothing_to_propose": "{job} est {state} : rien à proposer",
        "proposed_to_another": "{job} est proposée à une autre personne que {courier}",
        "weighed_at_pickup": "{job} est {state} : les colis se pèsent au retrait",
        "already_on_shift": "{courier} est déjà en service",
        "not_on_shift": "{courier} n'est pas en service",
        "not_on_pause": "{courier} n'est pas en pause",
        "already_on_pause": "{courier} est déjà en pause",
        "position_only_in_hand": "une position n'est partagée que pendant que la personne a cette course en main",
        "erasure_grounds": "dites à quel titre (la demande de la personne, sa date) : le journal le garde",
        "login_length": "doit faire de 1 à 60 caractères",
        "login_spaces": "ne doit ni commencer ni finir par une espace",
        "short_name_form": "{short_name} n'est pas un nom court : de 2 à {limit} lettres minuscules, chiffres et "
        "tirets simples, commençant par une lettre (par ex. velo-lille)",
        "short_name_taken": "{short_name} est déjà pris par une autre coopérative de ce serveur",
        "needed_by_act": "cet acte en a besoin : l'identifiant de la course dont il s'agit",
        "login_taken": "{login} est déjà pris dans cette coopérative",
        "own_login": "vous ne pouvez pas révoquer votre propre identifiant : une autre personne de la répartition "
        "ou l'opérateur le peut",
        "not_a_tariff_setting": "pas un réglage du tarif (ce sont : {values})",
        "currency_code": "un code ISO 4217 de trois majuscules (EUR, CHF, SEK...)",
        "band_pairs": "les tranches sont des paires [jusqu'à (null : sans limite), centimes]",
        "malformed_tariff": "tarif mal formé ({detail})",
        "fairness_weight": "un nombre de 0 (efficacité pure) à 100",
        "decline_reason_retention_days": "un nombre entier de jours de 1 à 3650",
        "riding_budget": "doit être une part entre 0 et 1 (0,05 : au plus +5 % de trajet)",
        "plain_json": "doit être du JSON simple ({detail})",
        "key_length": "doit faire de 1 à 200 caractères",
        "one_cooperative_per_batch": "tous les événements d'un lot appartiennent à une seule coopérative",
        "acts_for_themself": "une personne n'agit que pour elle-même",
        "unknown_event_type": "type d'événement inconnu : {value}",
        "payload_needs": "il manque {values}",
        "proofs_needed": "cette livraison demande {proofs} avant d'être marquée livrée",
        "code_shape": "un code fait de 4 à 32 lettres, chiffres ou tirets",
        "too_many_codes": "{most} codes erronés ont été essayés : la répartition doit décider",
        "wrong_code": "le code du destinataire ne correspond pas à celui donné par le client",
        "not_a_proof": "{value} n'est pas une preuve : photo, signature, nom ou code",
        "code_needed": "une preuve par code demande le code que montrera le destinataire",
        "recipient_name_length": "le nom du destinataire fait de 1 à 100 caractères",
        "image_too_large": "l'image fait {size} octets ; au plus {most} sont acceptés",
        "not_an_image": "pas une image JPEG, PNG ou WebP (jugée sur son contenu, pas sur son nom)",
        "too_many_pixels": "l'image a plus de {most} pixels",
        "side_too_long": "l'image fait {width} x {height} px ; un côté fait au plus {most} px",
        "too_narrow": "l'image fait {width} x {height} px ; ses côtés diffèrent au plus d'un rapport {most} à 1",
        "not_a_proof_key": "pas une clé de preuve",
        "code_per_request": "un code se donne par demande (le client le donne au destinataire)",
        "shift_ends_within": "un service finit dans les {hours} heures",
        "breaks_shape": "une liste de pauses, chacune avec earliest et latest (des dates-heures) et minutes (un "
        "nombre entier)",
        "break_times": "earliest et latest sont des dates-heures ISO 8601 avec un fuseau horaire",
        "break_minutes": "minutes est un nombre entier",
        "too_many_breaks": "au plus {most} pauses dans un service",
        "break_time_zone": "earliest et latest demandent un fuseau horaire",
        "break_length": "une pause dure au moins une minute et tient entre son début au plus tôt et sa fin au "
        "plus tard",
        "break_inside_shift": "une pause se place dans le service",
        "breaks_overlap": "les pauses ne peuvent pas toutes se prendre l'une après l'autre, chacune dans sa "
        "fenêtre : elles se chevauchent",
        "one_band_at_least": "il faut au moins une tranche",
        "bands_increase": "les limites des tranches doivent croître",
        "whole_cents": "les montants sont des centimes entiers, 0 ou plus",
        "last_band_open": "la dernière tranche doit être ouverte (up_to = infini)",
        "kilograms_not_negative": "doit être de 0 kilogramme ou plus",
        "time_of_day": "une heure s'écrit HH:MM, de 00:00 à 24:00 (reçu : {value})",
        "day_format": "un jour s'écrit AAAA-MM-JJ (reçu : {value})",
        "window_in_one_day": "une fenêtre finit après avoir commencé, dans une même journée ({window})",
        "windows_overlap": "{day} : {window} chevauche {other}",
        "list_of_objects": "une liste d'objets",
        "at_most": "au plus {most}",
        "weekday": "de 0 (lundi) à 6 (dimanche)",
        "exception_twice": "{day} a déjà une exception : donnez ses fenêtres une seule fois",
        "given_twice": "donné plus d'une fois dans la requête : donnez-le une seule fois",
        "last_before_first": "le dernier jour ({last}) précède le premier ({first})",
        "holiday_too_long": "des congés durent au plus {days} jours",
        "url_length": "doit être une URL d'au plus {most} caractères",
        "url_host_port": "doit être une URL avec un hôte et un port valides",
        "url_scheme": "doit être une URL absolue ({values})",
        "url_credentials": "ne doit porter ni nom d'utilisateur ni mot de passe",
        "too_many_webhooks": "un client enregistre au plus {most} webhooks",
        "in_memory_backup": "une base SQLite en mémoire ne se sauvegarde pas",
        "pg_tool_needed": "{tool} est nécessaire aux sauvegardes PostgreSQL (Debian : postgresql-client)",
        "no_sqlite_database": "aucune base SQLite à {path}",
        "tool_failed": "{tool} a échoué : {detail}",
        "no_backup_file": "aucun fichier de sauvegarde à {path}",
        "restore_not_empty": "elle contient déjà des coopératives ; restaurez dans une base vide, ou remplacez-la",
        "not_a_backup": "pas une sauvegarde SQLite de Tandem : {detail}",
        "week_by_monday": "une semaine se nomme par son lundi, AAAA-MM-JJ (reçu : {value})",
        "week_begins_monday": "le {given} est un {day} ; sa semaine commence le {monday}",
        "week_years": "une semaine entre {first} et {last} (reçu : {value})",
        "month_by_name": "un mois se nomme AAAA-MM, entre {first} et {last} (reçu : {value})",
        "time_years": "un moment entre {first} et {last} (reçu : {value})",
        "rota_settings_object": "un objet de réglages du planning",
        "unknown_rota_setting": "inconnu ; les réglages du planning sont {values}",
        "rota_hours": "un nombre d'heures (ou de secondes) de 0 à 24",
        "first_before_last": "first_h vient avant last_h",
        "whole_hours": "des heures entières de 0 à {most}",
        "min_above_max": "le minimum ({low} h) dépasse le maximum ({high} h)",
        "deactivated": "{courier} est désactivé·e",
        "courier_erased_for_good": "cette personne a quitté la coopérative et a été effacée : un effacement est "
        "définitif, on ne lui donne plus de travail ; choisissez quelqu'un qui travaille ici",
        "shift_length": "un service dure de {low} à {high} h",
        "not_available": "{courier} ne s'est pas déclaré·e disponible le {day} de {hours}",
        "one_shift_a_day": "{courier} a déjà un service le {day} : un service par jour",
        "too_little_rest": "{courier} se reposerait {gap} h entre le {first} et le {last} (au moins {most} h)",
        "over_contract": "{courier} travaillerait {hours} h cette semaine ; son contrat dit au plus {most} h",
        "shift_needs": "un service à « {action} » demande son {key}",
        "not_in_week": "le {given} n'est pas dans la semaine du {monday}",
        "shift_hours": "des heures entières, 0 <= start_h < end_h <= 24 : un service finit après avoir "
        "commencé, dans une même journée",
        "no_rota_yet": "pas encore de planning pour la semaine du {monday} : demandez d'abord une proposition",
        "nothing_to_publish": "rien à publier pour la semaine du {monday} : aucun brouillon n'est ouvert",
        "swap_with_colleague": "un échange se fait avec un·e collègue",
        "absent_not_swapped": "ce service est marqué absent ({absence}) : il ne s'échange pas ; la répartition "
        "désigne un remplacement",
        "swap_decided": "cet échange est déjà {state}",
        "swap_begun": "ce service a commencé le {day} à {start_h} h : seul un service à venir s'échange",
        "swap_pending": "un échange de ce service attend déjà la décision de la répartition",
        "say_why_swap": "dites pourquoi l'échange est refusé, en quelques mots",
        "in_the_draft": "dans le brouillon ouvert pour la semaine du {monday} : {error} (modifiez le "
        "brouillon, ou refusez l'échange)",
        "rolling_days": "une vue glissante de {choices} jours (reçu : {value})",
        "shift_in_draft": "ce service est dans le brouillon de la semaine du {monday} : publiez-le d'abord",
        "absence_recorded": "l'absence sur ce service est déjà notée ({absence})",
        "no_absence_yet": "aucune absence n'est notée sur ce service : notez-la d'abord",
        "covered_already": "ce service est déjà remplacé",
        "the_one_absent": "{courier} est la personne absente",
        "absent_too": "{courier} ne peut pas venir ce jour-là non plus",
        "cannot_cover": "{courier} ne peut pas remplacer : {detail}",
        "cannot_cover_draft": "{courier} ne peut pas remplacer dans le brouillon ouvert pour la semaine du "
        "{monday} : {detail} (modifiez le brouillon, ou choisissez quelqu'un d'autre)",
        "day_by_date": "un jour se nomme AAAA-MM-JJ, entre {first} et {last} (reçu : {value})",
        "overtime_in_future": "le {day} n'a pas encore commencé (nous sommes le {today}) : les heures "
        "supplémentaires se décident sur le temps travaillé",
        "overtime_minutes": "des minutes entières de 0 à {most}, la durée de ce jour (reçu : {value})",
        "no_overtime_to_withdraw": "aucune heure supplémentaire de {courier} n'est retenue le {day} : il n'y a "
        "rien à retirer",
        "overtime_changed": "les heures supplémentaires de {courier} le {day} ont changé depuis que vous les avez "
        "vues : {by} en a décidé {minutes} min ; relisez-les avant de décider",
        "overtime_withdrawn": "les heures supplémentaires de {courier} le {day} ont changé depuis que vous les avez "
        "vues : {by} les a retirées ; relisez-les avant de décider",
        "availability_redeclared": "les disponibilités de {courier} ont changé depuis que vous les avez lues : "
        "{by} les a déclarées à nouveau ; rien n'a été enregistré ; relisez-les avant d'enregistrer",
        "availability_redeclared_by_courier": "les disponibilités de {courier} ont changé depuis que vous les avez "
        "lues : {courier} les a enregistrées à nouveau ; rien n'a été enregistré ; relisez-les avant d'enregistrer",
    },
}

#: Words for the values some parameters hold: job states, acts, events, kinds of things and people.
ERROR_WORDS: dict[str, dict[str, str]] = {
    "en": {
        # job states (dispatch/lifecycle.py)
        "requested": "waiting for a courier",
        "proposed": "proposed",
        "assigned": "assigned",
        "acknowledged": "acknowledged",
        "picked_up": "picked up",
        "delivered": "delivered",
        "declined": "declined",
        "unassigned": "unassigned",
        "failed": "failed",
        "cancelled": "cancelled",
        # a swap's states, an absence's reasons (dispatch/week.py)
        "confirmed": "confirmed",
        "refused": "refused",
        "pending": "pending",
        "sick": "sick",
        "other": "other reason",
        # acts, as "it cannot be ... now"
        "propose": "proposed",
        "accept": "accepted",
        "override": "given to a courier",
        "reassign": "reassigned",
        "unassign": "taken back",
        "acknowledge": "acknowledged",
        "decline": "declined",
        "pick_up": "picked up",
        "deliver": "delivered",
        "fail": "marked failed",
        "cancel": "cancelled",
        "add_photo": "given a photo",
        "add_signature": "given a signature",
        "add_name": "given a name",
        "add_code": "given a code",
        # kinds of things (NotFound)
        "job": "job",
        "courier": "courier",
        "client": "client",
        "cooperative": "cooperative",
        "member": "member",
        "shift": "shift",
        "swap": "swap",
        "proof": "proof",
        "proof file": "proof file",
        "delivery": "delivery",
        "webhook": "webhook",
        # who acted
        "the job": "the job",
        "this_courier": "this courier",
        # what they did (event types, as "<who> <did>")
        "ProposalMade": "proposed it",
        "ProposalWithheld": "found no courier for it",
        "ProposalAccepted": "accepted the proposal",
        "JobOverridden": "gave it to a courier",
        "JobReassigned": "reassigned it",
        "JobUnassigned": "took it back",
        "JobCancelled": "cancelled it",
        "CourierAcknowledged": "acknowledged it",
        "CourierDeclined": "declined it",
        "PickedUp": "picked it up",
        "Delivered": "delivered it",
        "DeliveryFailed": "marked it failed",
        "ParcelReweighed": "reported its weight and size",
        "JobRequested": "asked for it",
        "RotaProposed": "drew a proposal",
        "RotaEdited": "edited it",
        "RotaPublished": "published it",
        "ShiftSwapRequested": "asked for a swap",
        "ShiftSwapDecided": "decided a swap",
        "AbsenceRecorded": "recorded an absence",
        "CoverAssigned": "assigned a cover",
        "acted": "acted on it",
        "by_dispatcher": "a dispatcher",
        "by_analyst": "an analyst",
        "by_courier": "a courier",
        "by_client": "the client",
        "by_system": "the planner",
        "by_admin": "the operator",
        # a rate's span ("at most 10 per minute"), one and more
        "span_second": "second",
        "span_seconds": "seconds",
        "span_minute": "minute",
        "span_minutes": "minutes",
        "span_hour": "hour",
        "span_hours": "hours",
        "span_day": "day",
        "span_days": "days",
        "not_yours_now": "no longer picked up by you",
        # places, windows, measures
        "pickup": "pickup",
        "dropoff": "drop-off",
        "pickup_or_dropoff": "pickup or drop-off",
        "pickup_window": "the pickup window",
        "dropoff_window": "the drop-off window",
        "weight": "a weight",
        "volume": "a volume",
        "length": "a length",
        "kg": "a weight in kilograms",
        "litres": "a volume in litres",
        "cm": "a length in centimetres",
        # proofs
        "photo": "a photo",
        "signature": "the recipient's signature",
        "name": "the recipient's name",
        "code": "the recipient's code",
        "and": "and",
        "Monday": "Monday",
        "Tuesday": "Tuesday",
        "Wednesday": "Wednesday",
        "Thursday": "Thursday",
        "Friday": "Friday",
        "Saturday": "Saturday",
        "Sunday": "Sunday",
        "or": "or",
    },
    "fr": {
        "requested": "en attente d'une personne",
        "proposed": "proposée",
        "assigned": "attribuée",
        "acknowledged": "confirmée",
        "picked_up": "retirée",
        "delivered": "livrée",
        "declined": "refusée",
        "unassigned": "reprise",
        "failed": "en échec",
        "cancelled": "annulée",
        "confirmed": "confirmé",
        "refused": "refusé",
        "pending": "en attente",
        "sick": "malade",
        "other": "autre raison",
        "propose": "proposée",
        "accept": "acceptée",
        "override": "confiée à une personne",
        "reassign": "réattribuée",
        "unassign": "reprise",
        "acknowledge": "confirmée",
        "decline": "refusée",
        "pick_up": "retirée",
        "deliver": "livrée",
        "fail": "marquée en échec",
        "cancel": "annulée",
        "add_photo": "complétée d'une photo",
        "add_signature": "complétée d'une signature",
        "add_name": "complétée d'un nom",
        "add_code": "complétée d'un code",
        "job": "course",
        "courier": "coursier·e",
        "client": "client",
        "cooperative": "coopérative",
        "member": "membre",
        "shift": "service",
        "swap": "échange",
        "proof": "preuve",
        "proof file": "fichier de preuve",
        "delivery": "livraison",
        "webhook": "webhook",
        "the job": "la course",
        "this_courier": "cette personne",
        "ProposalMade": "l'a proposée",
        "ProposalWithheld": "n'a trouvé personne pour elle",
        "ProposalAccepted": "a accepté la proposition",
        "JobOverridden": "l'a confiée à une personne",
        "JobReassigned": "l'a réattribuée",
        "JobUnassigned": "l'a reprise",
        "JobCancelled": "l'a annulée",
        "CourierAcknowledged": "l'a confirmée",
        "CourierDeclined": "l'a refusée",
        "PickedUp": "l'a retirée",
        "Delivered": "l'a livrée",
        "DeliveryFailed": "l'a marquée en échec",
        "ParcelReweighed": "a signalé son poids et sa taille",
        "JobRequested": "l'a demandée",
        "RotaProposed": "a dressé une proposition",
        "RotaEdited": "l'a modifié",
        "RotaPublished": "l'a publié",
        "ShiftSwapRequested": "a demandé un échange",
        "ShiftSwapDecided": "a tranché un échange",
        "AbsenceRecorded": "a noté une absence",
        "CoverAssigned": "a désigné un remplacement",
        "acted": "a agi dessus",
        "by_dispatcher": "une personne de la répartition",
        "by_analyst": "une personne de l'analyse",
        "by_courier": "un·e coursier·e",
        "by_client": "le client",
        "by_system": "le planificateur",
        "by_admin": "l'opérateur",
        "span_second": "seconde",
        "span_seconds": "secondes",
        "span_minute": "minute",
        "span_minutes": "minutes",
        "span_hour": "heure",
        "span_hours": "heures",
        "span_day": "jour",
        "span_days": "jours",
        "not_yours_now": "hors de vos mains",
        "pickup": "retrait",
        "dropoff": "livraison",
        "pickup_or_dropoff": "retrait ou de livraison",
        "pickup_window": "la fenêtre de retrait",
        "dropoff_window": "la fenêtre de livraison",
        "weight": "un poids",
        "volume": "un volume",
        "length": "une longueur",
        "kg": "un poids en kilogrammes",
        "litres": "un volume en litres",
        "cm": "une longueur en centimètres",
        "photo": "une photo",
        "signature": "la signature du destinataire",
        "name": "le nom du destinataire",
        "code": "le code du destinataire",
        "and": "et",
        "Monday": "lundi",
        "Tuesday": "mardi",
        "Wednesday": "mercredi",
        "Thursday": "jeudi",
        "Friday": "vendredi",
        "Saturday": "samedi",
        "Sunday": "dimanche",
        "or": "ou",
    },
}

#: Parameters written as maps write them, with a point, in every language.
_COORDINATES = frozenset({"lon", "lat", "lon_min", "lon_max", "lat_min", "lat_max"})
#: Parameters said as a word of :data:`ERROR_WORDS` (the rest: a number or the value as given).
_WORDED = frozenset({"kind", "state", "act", "last_act", "place", "window", "measure", "day", "absence"})


class Names:
    """What the edge knows to name things: a job id -> its label, ``"<kind> <id>"`` -> a person's
    name, a courier id -> their name. Each None when the edge has nothing to look them up in."""

    def __init__(
        self,
        job: Callable[[str], str | None] | None = None,
        person: Callable[[str], str | None] | None = None,
        couriers: Mapping[str, str] | None = None,
    ) -> None:
        self.job, self.person, self.couriers = job, person, couriers or {}


def job_label(job: JobView) -> str:
    """A job as people name it, like the console's label: “pickup → drop-off”, each place by its
    address, or its coordinates when it has none."""

    def place(p: dict[str, Any]) -> str:
        return str(p.get("address") or f"{float(p['lat']):.4f}, {float(p['lon']):.4f}")

    return f"“{place(job.request['pickup'])} → {place(job.request['dropoff'])}”"


def _number(value: float, lang: str) -> str:
    """A number as short as exact (the raise site rounds it as it should be read)."""
    text = str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    return text.replace(".", ",") if lang == "fr" else text


def _word(lang: str, value: str) -> str:
    words = ERROR_WORDS.get(lang, ERROR_WORDS[DEFAULT])
    return words.get(value, value.replace("_", " "))


def _param(name: str, value: Any, lang: str, names: Names) -> str:
    """One parameter as the reader reads it: a job by its label, a person by their name."""
    if name == "job":
        label = names.job(str(value)) if names.job is not None else None
        return label or _word(lang, "the job")
    if name == "by":
        person = names.person(str(value)) if names.person is not None else None
        return person or _word(lang, "by_" + str(value).split(" ", 1)[0])
    if name == "courier":
        return names.couriers.get(str(value), _word(lang, "this_courier"))
    if name == "error":  # a refusal inside another (a swap's edit refused in the open draft)
        return say_reason(DomainError(value["why"], **value["params"]), lang, names)
    if name == "breaks" or is_reason(value):  # limits broken; a rule (why someone cannot cover a shift)
        return "; ".join(render(r, lang, names.couriers) for r in ([value] if is_reason(value) else value))
    if name in _SAID_BY:
        return _SAID_BY[name](value, lang)
    if name in _WORDED:
        return _word(lang, str(value) or "acted")
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if name in _COORDINATES:  # a point is written as maps write it, whatever the language
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return _number(value, lang)


def _reach(limits: list[list[Any]], lang: str) -> str:
    """How far vehicles may stop from their streets: "300 m", or "300 m (bike) or 450 m (cargo_bike)"."""
    if len({m for _, m in limits}) == 1:
        return f"{_number(limits[0][1], lang)} m"
    return f" {_word(lang, 'or')} ".join(f"{_number(m, lang)} m ({profile})" for profile, m in limits)


def _span(value: list[Any], lang: str) -> str:
    """A rate's span, ``[multiples, unit]``: "minute", or "2 hours"."""
    many, unit = value
    said = _word(lang, f"span_{unit}{'s' if many > 1 else ''}")
    return said if many == 1 else f"{_number(many, lang)} {said}"


def _roles(roles: list[str], lang: str) -> str:
    """Credentials' roles as their holders are named: "a dispatcher or an analyst"."""
    return f" {_word(lang, 'or')} ".join(_word(lang, f"by_{r}") for r in roles)


#: Parameters said by their own rule.
_SAID_BY: dict[str, Callable[[Any, str], str]] = {
    "reach": _reach,
    "choices": lambda value, lang: f" {_word(lang, 'or')} ".join(map(str, value)),  # one of a few: "7 or 28"
    "proofs": lambda value, lang: f" {_word(lang, 'and')} ".join(_word(lang, str(v)) for v in value),
    "role": lambda value, lang: _roles([value], lang),  # "a courier may not do this"
    "roles": _roles,
    "span": _span,
}


def params_of(template: str) -> set[str]:
    """The ``{param}`` names a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def say_reason(error: DomainError, lang: str = DEFAULT, names: Names | None = None) -> str:
    """What an error says, in ``lang``, without the field's name in front."""
    templates = ERRORS.get(lang, ERRORS[DEFAULT])
    template = templates.get(error.why)
    if template is None:  # older text, said as it is
        return error.why
    params = error.params
    words = {p: _param(p, params.get(p), lang, names or Names()) for p in params_of(template)}
    return template.format(**words)


def say(error: DomainError, lang: str = DEFAULT, names: Names | None = None) -> str:
    """An error in words, in ``lang``: an invalid input's field in front of what is wrong with it
    (its name as the API spells it, so that the caller finds it in what they sent)."""
    text = say_reason(error, lang, names)
    if isinstance(error, InvalidInput) and getattr(error, "prefixed", True):
        return f"{error.field}{' :' if lang == 'fr' else ':'} {text}"
    return text


speak_with(say)

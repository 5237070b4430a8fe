"""Tandem's edges: the /v1 HTTP and WebSocket API (FastAPI), authentication, event fan-out to
sockets, the planner's worker process, webhooks, and the ``tandem`` command line (api/cli/).

It parses, authorises, calls one domain function and renders: the rules themselves are in
dispatch. A route's answer is its response model (api/schemas.py and the schemas modules beside
it), so what /openapi.json documents is what is sent. It may import dispatch and routing; no
router module imports another (what two share is in a schemas module, api/deps.py, api/geo.py
or dispatch). Each module's role and how to add a route: docs/ARCHITECTURE.md.
"""

# Every process that runs Tandem imports this package: there ``str()`` of a domain error is its
# English words (dispatch/ says what happened as a code with parameters; api/error_words.py says it).
from api import error_words as _error_words  # noqa: F401

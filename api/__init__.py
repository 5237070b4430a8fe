"""Tandem's edges: the /v1 HTTP and WebSocket API (FastAPI), authentication, event fan-out to
sockets, the planner's worker process, webhooks, and the ``tandem`` command line.

It parses, authorises, calls one domain function and renders: the rules themselves are in
dispatch. It may import dispatch and routing; no router module imports another (what two share
is in api/schemas.py, api/deps.py, api/geo.py or dispatch). Each module's role and how to add a
route: docs/ARCHITECTURE.md.
"""

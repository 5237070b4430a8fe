"""Tandem's edges: the /v1 HTTP and WebSocket API (FastAPI), authentication, event fan-out to
sockets, the planner's worker process, webhooks, and the ``tandem`` command line.

It may import dispatch and routing; no router module imports another beyond the exceptions
tests/test_architecture.py lists. Each module's role and how to add a route: docs/ARCHITECTURE.md.
"""

"""The cooperative's domain: jobs, couriers, shifts, decisions, the append-only event log and the
state folded from it (projections, the fairness ledger), planning rounds, pricing and replays.

Imports routing, never api; persistence is in dispatch.store. Each module's role, the path of a
delivery and where new rules go: docs/ARCHITECTURE.md.
"""

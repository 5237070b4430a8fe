"""The cooperative's domain: the rules, the events and the state folded from them.

What a request must be to be taken (``intake``: one rule for every door, the API, the CLI,
planning and replays), its price, the job's lifecycle and the decisions people make on it,
couriers' shifts and acts (proofs of delivery among them), the append-only event log and its
projections (jobs, the fairness ledger), planning rounds, the week's availability and rota, and
replays of whole days on the same code. Imports routing, never api; persistence is in
dispatch.store. Each module's role, the path of a delivery and where new rules go:
docs/ARCHITECTURE.md.
"""

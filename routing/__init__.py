"""Tandem's planning core, pure: couriers, shipments and travel times in, a Plan with exact ETAs and
a reason for every job out (no web, no database, no clock; it imports nothing from dispatch or api).

The map and vehicles (network, profiles, matrix), the problem, the stages of a round (construct,
insertion, sharing, the OR-Tools model in solver, evaluate, explain) and the one objective they
share (objective). Each module's role and the stages: docs/ARCHITECTURE.md.
"""

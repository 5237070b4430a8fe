"""The cooperative's domain: jobs, couriers, shifts, decisions and the event log (to come)."""

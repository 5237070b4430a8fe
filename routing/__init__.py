"""Tandem's planning core: pure arrays and dataclasses in, plans out (no web, no database, no clock)."""

"""Hotline triage and dispute-case system for the 12345 / 110 / 12348 lines."""

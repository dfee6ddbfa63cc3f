"""Rasa SDK action server: thin actions that read slots, call hotline/, return events."""

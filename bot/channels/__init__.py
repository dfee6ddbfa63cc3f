"""Rasa input channels of our own, loaded by `rasa run` from the credentials file."""

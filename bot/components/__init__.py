"""Custom Rasa graph components: dispute type, rule entities, the triage record."""

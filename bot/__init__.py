"""Rasa-side code of the hotline bot: graph components and stores."""

"""Conversations beyond one bot turn: hand-offs to people, the outbox, case lookups, the citizen's rating.

Framework-free like hotline.cases: functions take a SQLAlchemy session and
an actor; the action server, the web service and the timed jobs share them.
"""

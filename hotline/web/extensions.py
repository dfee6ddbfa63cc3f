"""What every blueprint reaches for during a request: the database session and the settings.

Beside the factory, as in Flask's own tutorial (`flaskr/db.py`): `init_app` gives the
app its engine and session factory and closes the request's session at teardown;
blueprints import `db` and `settings` from here, so the factory module, which imports
the blueprints, is never imported back by them.
"""
from __future__ import annotations

from typing import Optional

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from hotline.config import Settings
from hotline.db import make_engine, make_sessionmaker


def init_app(app: Flask, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    app.config["HOTLINE_SETTINGS"] = settings
    app.extensions["hotline.sessions"] = make_sessionmaker(engine, settings)
    app.extensions["hotline.engine"] = engine
    app.teardown_appcontext(_close_session)


def db() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = current_app.extensions["hotline.sessions"]()
    return g.db


def settings() -> Settings:
    return current_app.config["HOTLINE_SETTINGS"]


def _close_session(_exc: Optional[BaseException]) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()

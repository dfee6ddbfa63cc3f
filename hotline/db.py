"""Engine and session factory for the case database (SQLite by default, PostgreSQL by URL)."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from hotline.config import Settings


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine in SQLAlchemy 2.0 style; SQLite gets WAL and a busy timeout.

    The action server and the web service write to the same SQLite file, so
    writers wait for each other instead of failing with "database is locked".
    """
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = url[len("sqlite:///"):]
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
    kwargs = {"future": True, "echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessionmaker(engine: Engine, settings: Optional["Settings"] = None) -> sessionmaker:
    """Sessions on `engine`; `settings`, when given, ride along in each session's `info` (what a listener of the
    case service needs to know about the process, e.g. whether SMS can be sent; Settings.from_env() otherwise)."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False, class_=Session,
                        info={"settings": settings} if settings is not None else {})


def settings_of(session: Session) -> "Settings":
    """The settings of the process that opened `session` (make_sessionmaker), else the environment's."""
    from hotline.config import Settings

    return session.info.get("settings") or Settings.from_env()


def is_postgres(engine: Optional[Engine]) -> bool:
    return engine is not None and engine.dialect.name == "postgresql"

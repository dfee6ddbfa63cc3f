"""Shared fixtures: migrated databases (SQLite and PostgreSQL), the trained model, the running stack."""
from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path

import pytest

from hotline.config import PROJECT_ROOT

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def migrate(url: str) -> None:
    from alembic import command

    from hotline.cli import alembic_config

    command.upgrade(alembic_config(url), "head")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate(url)
    return url


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request):
    """Every case-service test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def sessions(db_url):
    from hotline.db import make_engine, make_sessionmaker

    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = PROJECT_ROOT / "models" / "current.tar.gz"
    if not path.exists():
        pytest.fail("no trained model at models/current.tar.gz: run the suite with `make test`, which trains it")
    return path.resolve()


@pytest.fixture(scope="session")
def local_parser(model_path):
    """The trained model parsing in this process (hotline.cli.LocalParser: what the parse endpoint answers),
    loaded once for the session. Loading runs TensorFlow, Keras and Rasa's own imports (pykwalify loads its
    extensions with load_module), which warn about their own deprecations on a fresh venv: not ours to fix."""
    from hotline.cli import LocalParser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        parser = LocalParser(model_path)
        parser.parse("你好")
    return parser


@pytest.fixture(scope="session")
def stack(model_path, tmp_path_factory):
    """The real Rasa server, action server and web service, started once for the session."""
    from tests.stack import Stack

    running = Stack(tmp_path_factory.mktemp("stack"), model_path).start()
    yield running
    running.stop()

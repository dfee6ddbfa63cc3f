"""An app over a migrated SQLite database, with staff accounts, for probing the web service as an outsider."""
from __future__ import annotations

import uuid

import pytest

from hotline.config import Settings
from hotline.web import create_app
from tests.web.conftest import login, make_case, tokens  # noqa: F401  (fixtures and helpers shared with tests/web)

# Nothing listens here: the chat stores the message, then answers 503 at once (Rasa "down").
NO_RASA = "http://127.0.0.1:9"
REDIS_URL = "redis://127.0.0.1:6379/3"


def build_app(db_url: str, redis: bool = False, **config):
    settings = Settings(database_url=db_url, secret_key="test", rasa_url=NO_RASA, rasa_timeout_seconds=2,
                        redis_url=REDIS_URL if redis else None)
    # A prefix per app family, so runs never share counters in Redis.
    config.setdefault("RATELIMIT_KEY_PREFIX", f"test-{uuid.uuid4().hex}")
    return create_app(settings, config)


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    return request.param


@pytest.fixture
def app(db_url):
    app = build_app(db_url)
    yield app
    app.extensions["hotline.engine"].dispose()


@pytest.fixture
def sessions(app):
    return app.extensions["hotline.sessions"]


@pytest.fixture
def client(app):
    return app.test_client()

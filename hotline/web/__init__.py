"""Flask application factory: the chat page, the mediator console and the JSON API."""
from __future__ import annotations

import secrets
from typing import Any, Mapping, Optional

from flask import Flask, g

from hotline.config import Settings
from hotline.db import make_engine, make_sessionmaker
from hotline.timeutil import format_local


def create_app(settings: Optional[Settings] = None, test_config: Optional[Mapping[str, Any]] = None) -> Flask:
    from hotline.web import security

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        JSON_AS_ASCII=False,
        HOTLINE_SETTINGS=settings,
    )
    app.json.ensure_ascii = False
    security.configure(app, settings)
    if test_config:
        app.config.update(test_config)

    engine = make_engine(settings.database_url)
    app.extensions["hotline.sessions"] = make_sessionmaker(engine)
    app.extensions["hotline.engine"] = engine

    from hotline.web import api, chat, console, dashboard, operator, review

    app.register_blueprint(chat.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(operator.bp)
    app.register_blueprint(dashboard.bp)

    import integrations

    integrations.init_app(app, settings)
    console.register_error_pages(app)  # after the API's handlers: it answers /api/ paths in JSON the same way
    # After the blueprints: the rate limits attach to their endpoints; its 413/429/500/CSRF answers win.
    security.init_app(app)

    @app.teardown_appcontext
    def _close_session(_exc: Optional[BaseException]) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()

    app.jinja_env.filters["localtime"] = format_local

    @app.get("/")
    def index():  # noqa: ANN202
        from flask import redirect, url_for

        return redirect(url_for("chat.page"))

    return app


def db():
    """The request's session, opened on first use."""
    from flask import current_app

    if "db" not in g:
        g.db = current_app.extensions["hotline.sessions"]()
    return g.db


def settings() -> Settings:
    from flask import current_app

    return current_app.config["HOTLINE_SETTINGS"]

"""Flask application factory: the chat page, the mediator console and the JSON API."""
from __future__ import annotations

import secrets
from typing import Any, Mapping, Optional

from flask import Flask

from hotline.config import Settings
from hotline.timeutil import format_local


def create_app(settings: Optional[Settings] = None, test_config: Optional[Mapping[str, Any]] = None) -> Flask:
    from hotline.web import extensions, security

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        JSON_AS_ASCII=False,
    )
    app.json = security.JSONProvider(app)  # answers in readable Chinese; bodies must be Unicode
    security.configure(app, settings)
    if test_config:
        app.config.update(test_config)

    extensions.init_app(app, settings)

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

    app.jinja_env.filters["localtime"] = format_local

    @app.get("/")
    def index():  # noqa: ANN202
        from flask import redirect, url_for

        return redirect(url_for("chat.page"))

    return app


"""The action server: checks Rasa's shared secret, starts the legal retriever, serves Rasa SDK (`python -m actions`).

Actions run as the all-powerful bot actor, so only Rasa may call them: the
server listens on loopback unless SANIC_HOST says otherwise, and /webhook
answers 401 without the ACTIONS_SECRET that endpoints.yml makes Rasa send
in the X-Actions-Secret header.
"""
from __future__ import annotations

import hmac
import logging
import os
import sys
import uuid
from typing import Optional

import pluggy

SECRET_HEADER = "X-Actions-Secret"
OPEN_PATHS = ("/health",)
# A new id at each start, named in every answer: the inbox tells a silent turn from one whose actions died
# with a server that was restarted meanwhile (hotline.rasa_client.ACTIONS_INSTANCE_HEADER).
INSTANCE = uuid.uuid4().hex
hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger(__name__)


def authorised(path: str, sent: Optional[str], secret: str) -> bool:
    if path in OPEN_PATHS:
        return True
    return bool(sent) and hmac.compare_digest(sent.encode("utf-8"), secret.encode("utf-8"))


class SecretCheck:
    """A Rasa SDK plugin: a Sanic middleware in front of every route but /health."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:  # noqa: ANN001 - a Sanic app
        from sanic import response

        from hotline.privacy import mask_logs
        from hotline.rasa_client import ACTIONS_INSTANCE_HEADER

        mask_logs()  # Rasa SDK has configured logging by now: no citizen's number in clear in its lines

        @app.middleware("request")
        async def _check_secret(request):  # noqa: ANN001, ANN202
            if not authorised(request.path, request.headers.get(SECRET_HEADER), self.secret):
                logger.warning("refused %s %s from %s: no or wrong %s", request.method, request.path, request.ip,
                               SECRET_HEADER)
                return response.json({"error": "unauthorised", "message": f"{SECRET_HEADER} missing or wrong"},
                                     status=401)
            return None

        @app.middleware("response")
        async def _name_instance(request, response):  # noqa: ANN001, ANN202
            response.headers[ACTIONS_INSTANCE_HEADER] = INSTANCE


def main() -> None:
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser
    from rasa_sdk.plugin import plugin_manager

    args = create_argument_parser().parse_args()
    secret = os.environ.get("ACTIONS_SECRET", "")
    if len(secret) < 16:
        sys.exit("actions: set ACTIONS_SECRET (16+ characters, the same for Rasa's endpoints.yml); "
                 "make env writes one into .env")
    # Rasa SDK listens on 0.0.0.0 unless told otherwise; only Rasa on this machine needs it.
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    plugin_manager().register(SecretCheck(secret))
    from actions.legal import warm_in_background

    # A few seconds of CPU while Sanic starts, so the first legal question does not wait for it.
    warm_in_background()
    main_from_args(args)


if __name__ == "__main__":
    main()

"""`/webhooks/nlu/parse` and `/parse_batch`: Rasa's `/model/parse` answers, micro-batched, in the same server.

Registered in the credentials file (`bot.channels.nlu.NluParseChannel:`); docs/DESIGN.md
("The parse endpoint") has the contract and why it exists.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.batching import MicroBatcher, NluGraph

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 2000  # characters; a 12345 work order's description is well under this
MAX_BATCH = 64  # texts in one parse_batch request, and in one pass of the batcher


def rasa_auth_token(argv: Optional[Sequence[str]] = None, environ: Optional[Dict[str, str]] = None) -> Optional[str]:
    """The token Rasa's HTTP API checks: `--auth-token` (`-t`) on this process's `rasa run` command
    line; RASA_TOKEN when Rasa was started without one (e.g. from Python); None when neither is set."""
    reader = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    reader.add_argument("-t", "--auth-token")
    known, _ = reader.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    environ = os.environ if environ is None else environ
    return known.auth_token or environ.get("RASA_TOKEN") or None


def _error(status: HTTPStatus, reason: str, message: str, details: Optional[Dict[str, Any]] = None) -> HTTPResponse:
    """The shape of Rasa's own API errors (rasa.server.ErrorResponse)."""
    from rasa.server import ErrorResponse

    failure = ErrorResponse(status, reason, message, details)
    return response.json(failure.error_info, status=failure.status)


class BadInput(ValueError):
    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class NluParseChannel(InputChannel):
    """Parses texts with the loaded model; answers exactly what `POST /model/parse` answers."""

    @classmethod
    def name(cls) -> Text:
        return "nlu"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "NluParseChannel":
        options = dict(credentials or {})
        unknown = set(options) - {"max_text_length", "max_batch", "threaded"}
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown options in the credentials file: {sorted(unknown)}")
        token = rasa_auth_token()
        if token is None and os.environ.get("HOTLINE_ENV") != "development":
            # Parsing is cheap to abuse and the texts are citizens' words: never open by accident.
            raise ValueError("The NLU parse endpoint needs a token: start Rasa with --auth-token (make env writes "
                             "RASA_TOKEN into .env), or set HOTLINE_ENV=development to run it open on purpose.")
        return cls(token=token, **options)

    def __init__(self, token: Optional[str] = None, max_text_length: int = MAX_TEXT_LENGTH,
                 max_batch: int = MAX_BATCH, threaded: bool = True) -> None:
        self.token = token
        self.max_text_length = int(max_text_length)
        self.max_batch = int(max_batch)
        self.batcher = MicroBatcher(max_pass=self.max_batch, threaded=bool(threaded))
        self._graph: Tuple[Any, Optional[NluGraph]] = (None, None)
        if token is None:
            logger.warning("The NLU parse endpoint has no token (HOTLINE_ENV=development): it is open to anyone "
                           "who can reach this port, as Rasa's own API then is.")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        nlu = Blueprint("hotline_nlu_parse", __name__)

        @nlu.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            refusal = await self._refusal(request)
            if refusal:
                return refusal
            return response.json({"status": "ok", "passes": self.batcher.passes, "parsed": self.batcher.parsed})

        @nlu.route("/parse", methods=["POST"])
        async def parse(request: Request) -> HTTPResponse:
            return await self._handle(request, batch=False)

        @nlu.route("/parse_batch", methods=["POST"])
        async def parse_batch(request: Request) -> HTTPResponse:
            return await self._handle(request, batch=True)

        return nlu

    async def _handle(self, request: Request, batch: bool) -> HTTPResponse:
        refusal = await self._refusal(request)
        if refusal:
            return refusal
        agent = getattr(request.app.ctx, "agent", None)
        processor = getattr(agent, "processor", None)
        if processor is None:
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "NoModel",
                          "No model is loaded yet: wait for the Rasa server to finish starting, or load one "
                          "with PUT /model.")
        try:
            texts = self._texts(request, batch)
        except BadInput as bad:
            return _error(HTTPStatus.BAD_REQUEST, "BadRequest", str(bad), {"parameter": bad.parameter, "in": "body"})
        try:
            results = await self._parse(processor, texts)
        except Exception as failure:  # noqa: BLE001 - answered as /model/parse answers it
            logger.exception("NLU parse failed")
            return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "ParsingError",
                          f"An unexpected error occurred. Error: {failure}")
        return response.json(results if batch else results[0])

    async def _refusal(self, request: Request) -> Optional[HTTPResponse]:
        """None when the request may pass: Rasa's token as `?token=` or `Authorization: Bearer`,
        or, when Rasa runs with --jwt-secret, a JWT with the admin role (as Rasa's API asks)."""
        if self.token is None and not request.app.config.get("USE_JWT"):
            return None
        provided = request.args.get("token")
        header = request.headers.get("Authorization", "")
        if not provided and header[:7].lower() == "bearer ":
            provided = header[7:].strip()
        if self.token is not None and provided and hmac.compare_digest(provided.encode(), self.token.encode()):
            return None
        if request.app.config.get("USE_JWT") and await self._admin_jwt(request):
            return None
        return _error(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", "User is not authenticated.")

    @staticmethod
    async def _admin_jwt(request: Request) -> bool:
        from rasa.utils.common import call_potential_coroutine

        try:
            if not await call_potential_coroutine(request.app.ctx.auth.is_authenticated(request)):
                return False
            payload = await call_potential_coroutine(request.app.ctx.auth.extract_payload(request))
        except Exception:  # noqa: BLE001 - a malformed token is simply not authenticated
            return False
        return (payload.get("user") or {}).get("role") == "admin"

    def _texts(self, request: Request, batch: bool) -> List[str]:
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - Sanic raises its own InvalidUsage on bad JSON
            body = None
        key = "texts" if batch else "text"
        example = '{"texts": ["你好", "老板欠我工资"]}' if batch else '{"text": "老板欠我工资"}'
        if not isinstance(body, dict):
            raise BadInput(f"The request body must be a JSON object such as {example}.", "body")
        if key not in body:
            raise BadInput(f"'{key}' is missing: send a JSON object such as {example}.", key)
        if batch:
            texts = body[key]
            if not isinstance(texts, list):
                raise BadInput("'texts' must be a list of strings.", key)
            if len(texts) > self.max_batch:
                raise BadInput(f"'texts' has {len(texts)} items; at most {self.max_batch} are allowed in one "
                               "request.", key)
        else:
            texts = [body[key]]
        for index, text in enumerate(texts):
            where = f"texts[{index}]" if batch else "text"
            if not isinstance(text, str):
                raise BadInput(f"'{where}' must be a string, not {type(text).__name__}.", where)
            if len(text) > self.max_text_length:
                raise BadInput(f"'{where}' has {len(text)} characters; at most {self.max_text_length} are "
                               "allowed.", where)
        return texts

    async def _parse(self, processor: Any, texts: List[str]) -> List[Dict[str, Any]]:
        if not texts:
            return []
        if self._graph[0] is not processor:  # first request, or a model loaded with PUT /model
            self._graph = (processor, NluGraph.of(processor))
            if self._graph[1] is None:
                logger.info("This model's NLU cannot be run node by node; parsing through the processor.")
        graph = self._graph[1]
        if graph is None:
            return [await processor.parse_message(UserMessage(text)) for text in texts]
        return await self.batcher.parse(graph, texts)

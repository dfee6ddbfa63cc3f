"""JSON errors with a code and a Chinese message a person can act on."""
from __future__ import annotations

from flask import jsonify


def json_error(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response

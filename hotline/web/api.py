"""The JSON API for systems and scripts (grows with the case service)."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from hotline.web import db

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/health")
def health():
    db().execute(text("SELECT 1"))
    return jsonify({"status": "ok", "database": "ok"})

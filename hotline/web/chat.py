"""The citizen's web chat page; its messages go through the one inbound path (integrations/webchat.py)."""
from __future__ import annotations

from flask import Blueprint, make_response, render_template

bp = Blueprint("chat", __name__)


@bp.get("/chat")
def page():
    from integrations.webchat import ensure_conversation

    return ensure_conversation(make_response(render_template("chat.html", title="矛盾纠纷调解热线")))

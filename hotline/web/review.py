"""Console pages where an admin or a 12348 lawyer reviews the legal FAQ: see an answer as the citizen does, approve or send back."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from hotline.web.extensions import db
from hotline.web.console import login_required
from hotline.web.permissions import guarded

bp = Blueprint("review", __name__, url_prefix="/console/legal")
STATE_NAMES = {"approved": "已审核", "returned": "已退回", "pending": "待审核"}


@functools.lru_cache(maxsize=1)
def _entries():
    """The packaged FAQ, read once per process (the bot reads the same files)."""
    from hotline.legal import load_faq

    return {entry.id: entry for entry in load_faq()}


@bp.get("")
@login_required
@guarded
def entries_page():
    from hotline.legal.review import counts, states

    shown = request.args.get("state") if request.args.get("state") in STATE_NAMES else None
    entries = _entries()
    found = states(db(), entries.values())
    rows = [(entries[s.entry_id], s) for s in found if shown is None or s.state == shown]
    return render_template("review.html", rows=rows, counts=counts(found), shown=shown, state_names=STATE_NAMES)


@bp.get("/<entry_id>")
@login_required
@guarded
def entry_page(entry_id: str):
    from hotline.legal import format_answer
    from hotline.legal.review import law_versions, state_of

    entry = _entries().get(entry_id)
    if entry is None:
        abort(404, description="没有这个法律问答条目。")
    state = state_of(db(), entry)
    return render_template("review_entry.html", entry=entry, state=state, state_names=STATE_NAMES,
                           answer=format_answer(entry, entry.title, reviewed=state.state == "approved"),
                           law_versions=law_versions(entry))


@bp.post("/<entry_id>")
@login_required
@guarded
def review_entry(entry_id: str):
    from hotline.legal.review import ReviewError, approve, send_back

    entry = _entries().get(entry_id)
    if entry is None:
        abort(404, description="没有这个法律问答条目。")
    decision = request.form.get("decision")
    comment = request.form.get("comment", "")
    session = db()
    try:
        if decision == "approve":
            approve(session, entry, g.user, comment)
            message = "已审核通过，群众看到的答案不再带“仅供参考”的提示。"
        elif decision == "send_back":
            send_back(session, entry, g.user, comment)
            message = "已退回，意见已记录。"
        else:
            flash("请选择通过或退回。")
            return redirect(url_for("review.entry_page", entry_id=entry_id))
        session.commit()
    except ReviewError as error:
        session.rollback()
        flash(str(error))
        return redirect(url_for("review.entry_page", entry_id=entry_id))
    flash(message)
    return redirect(url_for("review.entry_page", entry_id=entry_id))

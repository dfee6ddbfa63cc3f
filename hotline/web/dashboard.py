"""The dashboard (/dashboard): figures, charts, filters, CSV export and the weekly / monthly 研判报告."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Dict, List, Tuple

from flask import Blueprint, Response, abort, g, jsonify, render_template, request
from sqlalchemy import select

from hotline.cases import scope, stats
from hotline.cases.actors import person
from hotline.cases.lifecycle import STATUS_NAMES, TIER_NAMES, WARNING_NAMES
from hotline.cases.models import Area, utcnow
from hotline.cases.names import LINE_NAMES, route_name
from hotline.timeutil import format_local, local_date
from hotline.triage import DISPUTE_TYPES
from hotline.triage.taxonomy import LINES
from hotline.web.extensions import db
from hotline.web.console import login_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
DEFAULT_DAYS = 30
FIGURES = {  # key: (title, how a code is named)
    "dispute_type": ("纠纷类型", lambda c: DISPUTE_TYPES.get(c, "其他") if c else "未分类"),
    "tier": ("调解层级", lambda c: TIER_NAMES.get(c, "未定")),
    "area": ("地区", lambda c: c or "未定地区"),
    "line": ("来源热线", lambda c: LINE_NAMES.get(c, "线上渠道") if c else "线上渠道"),
    "route": ("分流去向（部门）", route_name),
    "status": ("办理状态", lambda c: STATUS_NAMES.get(c, "其他")),
    "warning": ("预警等级", lambda c: WARNING_NAMES.get(c, "无")),
}


class FilterError(ValueError):
    pass


def _date(name: str, default: dt.date) -> dt.date:
    raw = request.args.get(name) or ""
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"日期格式应为 年-月-日，例如 {default.isoformat()}。") from None


def parse_filter(default_days: int = DEFAULT_DAYS) -> Tuple[stats.StatsFilter, Dict[str, Any]]:
    today = local_date(utcnow())
    end = _date("to", today)
    start = _date("from", end - dt.timedelta(days=default_days - 1))
    if start > end:
        raise FilterError("开始日期不能晚于结束日期。")
    if (end - start).days > stats.MAX_RANGE_DAYS:
        raise FilterError(f"时间范围不超过 {stats.MAX_RANGE_DAYS} 天。")
    line = request.args.get("line") or None
    if line is not None and line not in LINES:
        raise FilterError("热线应为 12345、110 或 12348。")
    area_id = None
    area_code = request.args.get("area") or None
    if area_code:
        area_id = db().execute(select(Area.id).where(Area.code == area_code)).scalar_one_or_none()
        if area_id is None:
            raise FilterError("没有这个地区。")
    shown = {"from": start.isoformat(), "to": end.isoformat(), "line": line or "", "area": area_code or ""}
    organisations = scope.visible_organisations(db(), person(g.user))
    return stats.StatsFilter.for_days(start, end, line=line, area_id=area_id, organisations=organisations), shown


def figures(f: stats.StatsFilter) -> Dict[str, Any]:
    session = db()
    out: Dict[str, Any] = {}
    for key, (title, name) in FIGURES.items():
        rows = stats.QUERIES[key](session, f)
        out[key] = {"title": title, "items": [{"code": c, "name": name(c), "count": n} for c, n in rows]}
    per_day = dict(stats.trend(session, f))
    days = [day.isoformat() for day in f.local_dates()]
    # Every day of the range, with 0 where nothing came in, so the line does not skip quiet days.
    out["trend"] = {"title": "每日受理量", "items": [{"day": d, "count": per_day.get(d, 0)} for d in days]}
    rate = stats.success_rate(session, f)
    out["success"] = {**rate, "rate_text": "—" if rate["rate"] is None else f"{rate['rate'] * 100:.1f}%"}
    late = stats.overdue(session, f, utcnow())
    out["overdue"] = {"count": late["count"], "cases": [
        {"number": c.number, "dispute_type": DISPUTE_TYPES.get(c.dispute_type, "—") if c.dispute_type else "—",
         "organisation": c.organisation.name if c.organisation else "待分派", "deadline": format_local(c.deadline_at),
         "status": STATUS_NAMES[c.status]} for c in late["cases"]]}
    out["total"] = sum(i["count"] for i in out["status"]["items"])
    return out


def _areas() -> List[Tuple[str, str]]:
    return [(code, name) for code, name in db().execute(select(Area.code, Area.name).order_by(Area.id))]


@bp.get("")
@login_required
def page():
    try:
        _, shown = parse_filter()
    except FilterError as error:
        abort(400, description=str(error))
    return render_template("dashboard.html", shown=shown, lines=LINES, line_names=LINE_NAMES, areas=_areas())


@bp.get("/data")
@login_required
def data():
    try:
        f, shown = parse_filter()
    except FilterError as error:
        return jsonify({"error": {"code": "invalid_filter", "message": str(error)}}), 400
    return jsonify({"filter": shown, **figures(f)})


@bp.get("/export.csv")
@login_required
def export():
    """Every figure as rows of 指标, 项目, 数量 (UTF-8 with BOM so Excel opens it in Chinese)."""
    try:
        f, shown = parse_filter()
    except FilterError as error:
        abort(400, description=str(error))
    result = figures(f)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["指标", "项目", "数量"])
    for key in FIGURES:
        for item in result[key]["items"]:
            writer.writerow([result[key]["title"], item["name"], item["count"]])
    for item in result["trend"]["items"]:
        writer.writerow(["每日受理量", item["day"], item["count"]])
    writer.writerow(["调解成功率", "成功/办结", f"{result['success']['settled']}/{result['success']['handled']}"])
    writer.writerow(["超期案件", "件数", result["overdue"]["count"]])
    name = f"hotline-{shown['from']}-{shown['to']}.csv"
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/report")
@login_required
def report():
    """研判报告: the week or month ending today (or `to`), printable; the browser's print makes the PDF."""
    period = request.args.get("period", "week")
    if period not in ("week", "month"):
        period = "week"
    try:
        f, shown = parse_filter(7 if period == "week" else 30)
    except FilterError as error:
        abort(400, description=str(error))
    result = figures(f)
    return render_template("report.html", period=period, shown=shown, figures=result,
                           places=stats.top_places(db(), f), groups=stats.collective(db(), f),
                           printed_at=utcnow(), DISPUTE_TYPES=DISPUTE_TYPES)

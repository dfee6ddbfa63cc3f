"""Areas, organisations, specialisms and mediators as data: loading the organisations YAML file.

The file is the source of truth for who handles what where; loading it again
updates what changed. Nothing is deleted: cases and audit entries point at
organisations, so a body that closes is left in place (remove its routes and
mediators instead).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases.accounts import ROLES
from hotline.cases.errors import InvalidInput
from hotline.cases.lifecycle import TIERS, TRANSFER_DESTINATIONS
from hotline.cases.models import Area, Organisation, User
from hotline.triage import DISPUTE_TYPES

AREA_KINDS = ("county", "district", "town", "street", "village", "community")
ORGANISATION_KINDS = ("mediation", "committee", "arbitration", "consumer", "court", "other")
# No password: an account made from the file signs in only after `hotline user set-password`.
UNUSABLE_PASSWORD = "!"


@dataclass
class LoadReport:
    areas: int = 0
    organisations: int = 0
    mediators: int = 0
    new_accounts: List[str] = field(default_factory=list)


def _valid_route(route: str) -> bool:
    if route.startswith("mediation:"):
        return route.split(":", 1)[1] in TIERS
    if route.startswith("committee:"):
        return route.split(":", 1)[1] in DISPUTE_TYPES
    return route in TRANSFER_DESTINATIONS


def _flatten_areas(items: Any, parent: Optional[str], out: List[Dict[str, Any]], problems: List[str]) -> None:
    for item in items or []:
        if not isinstance(item, Mapping):
            problems.append(f"areas 中有一项不是映射：{item!r}")
            continue
        out.append({**item, "parent": parent})
        _flatten_areas(item.get("children"), item.get("code"), out, problems)


def validate(data: Any) -> List[str]:
    """Every problem in the file, in Chinese, so all can be fixed in one go."""
    if not isinstance(data, Mapping):
        return ["文件内容应是一个映射（areas、organisations、mediators）。"]
    problems: List[str] = []
    areas: List[Dict[str, Any]] = []
    _flatten_areas(data.get("areas"), None, areas, problems)
    area_codes = _unique_codes(areas, "地区", problems)
    for area in areas:
        if area.get("kind") not in AREA_KINDS:
            problems.append(f"地区 {area.get('code')} 的 kind 应为 {'、'.join(AREA_KINDS)} 之一")
    organisations = data.get("organisations") or []
    org_codes = _unique_codes(organisations, "单位", problems)
    for org in organisations:
        problems.extend(_organisation_problems(org, area_codes, org_codes))
    problems.extend(_parent_cycles(organisations))
    usernames = set()
    for mediator in data.get("mediators") or []:
        name = mediator.get("username")
        if not name:
            problems.append(f"调解员缺少 username：{mediator!r}")
        if name in usernames:
            problems.append(f"调解员用户名重复：{name}")
        usernames.add(name)
        problems.extend(_mediator_problems(mediator, org_codes))
    return problems


def _unique_codes(items: List[Mapping[str, Any]], what: str, problems: List[str]) -> set:
    """The codes of areas or organisations; a missing code or name, or a repeated code, is a problem."""
    codes = set()
    for item in items:
        code = item.get("code")
        if not code or not item.get("name"):
            shown = (item.get("name") or code) if what == "地区" else item
            problems.append(f"{what}缺少 code 或 name：{shown!r}")
        if code in codes:
            problems.append(f"{what}代码重复：{code}")
        codes.add(code)
    return codes


def _organisation_problems(org: Mapping[str, Any], area_codes: set, org_codes: set) -> List[str]:
    code, kind, tier = org.get("code"), org.get("kind", "mediation"), org.get("tier")
    problems = []
    if kind not in ORGANISATION_KINDS:
        problems.append(f"单位 {code} 的 kind 应为 {'、'.join(ORGANISATION_KINDS)} 之一")
    if tier is not None and tier not in TIERS:
        problems.append(f"单位 {code} 的 tier 应为 village、town、city 之一")
    if kind == "mediation" and tier is None:
        problems.append(f"调解单位 {code} 需要 tier（village、town、city）")
    if org.get("area") is not None and org.get("area") not in area_codes:
        problems.append(f"单位 {code} 的地区 {org.get('area')} 不存在")
    if org.get("parent") is not None and org.get("parent") not in org_codes:
        problems.append(f"单位 {code} 的上级 {org.get('parent')} 不存在")
    problems.extend(f"单位 {code} 的分流去向 {route} 不正确" for route in org.get("routes") or []
                    if not _valid_route(str(route)))
    problems.extend(f"单位 {code} 的专长 {special} 不是纠纷类型代码" for special in org.get("specialisms") or []
                    if special not in DISPUTE_TYPES)
    return problems


def _mediator_problems(mediator: Mapping[str, Any], org_codes: set) -> List[str]:
    name = mediator.get("username")
    problems = []
    if mediator.get("organisation") not in org_codes:
        problems.append(f"调解员 {name} 的单位 {mediator.get('organisation')} 不存在")
    if mediator.get("role", "mediator") not in ROLES:
        problems.append(f"调解员 {name} 的角色应为 {'、'.join(ROLES)} 之一")
    problems.extend(f"调解员 {name} 的专长 {special} 不是纠纷类型代码" for special in mediator.get("specialisms") or []
                    if special not in DISPUTE_TYPES)
    return problems


def _parent_cycles(organisations: List[Mapping[str, Any]]) -> List[str]:
    parents = {o.get("code"): o.get("parent") for o in organisations}
    problems = []
    for code in parents:
        seen, current = set(), code
        while current is not None:
            if current in seen:
                problems.append(f"单位 {code} 的上级关系形成循环")
                break
            seen.add(current)
            current = parents.get(current)
    return problems


def load(session: Session, data: Any) -> LoadReport:
    """Create or update everything in the file, in the caller's transaction; refuse a file with problems."""
    problems = validate(data)
    if problems:
        raise InvalidInput("组织机构文件有误：\n" + "\n".join(f"- {p}" for p in problems), "invalid_file")
    report = LoadReport()
    flat: List[Dict[str, Any]] = []
    _flatten_areas(data.get("areas"), None, flat, [])
    areas: Dict[str, Area] = {a.code: a for a in session.execute(select(Area)).scalars()}
    for item in flat:
        area = areas.get(item["code"]) or Area(code=item["code"])
        area.name, area.kind, area.aliases = item["name"], item["kind"], list(item.get("aliases") or [])
        area.parent = areas.get(item["parent"]) if item["parent"] else None
        session.add(area)
        areas[area.code] = area
        report.areas += 1
    session.flush()

    organisations: Dict[str, Organisation] = {o.code: o for o in session.execute(select(Organisation)).scalars()}
    items = data.get("organisations") or []
    for item in items:
        org = organisations.get(item["code"]) or Organisation(code=item["code"])
        org.name, org.kind, org.tier = item["name"], item.get("kind", "mediation"), item.get("tier")
        org.area = areas.get(item["area"]) if item.get("area") else None
        org.routes = [str(r) for r in item.get("routes") or []]
        org.specialisms = list(item.get("specialisms") or [])
        org.phone, org.address = item.get("phone"), item.get("address")
        session.add(org)
        organisations[org.code] = org
        report.organisations += 1
    session.flush()
    for item in items:
        organisations[item["code"]].parent = organisations.get(item["parent"]) if item.get("parent") else None
    session.flush()

    for item in data.get("mediators") or []:
        user = session.execute(select(User).where(User.username == item["username"])).scalar_one_or_none()
        if user is None:
            user = User(username=item["username"], password_hash=UNUSABLE_PASSWORD,
                        role=item.get("role", "mediator"), active=True)
            report.new_accounts.append(user.username)
        user.display_name = item.get("name") or user.display_name or item["username"]
        user.organisation_id = organisations[item["organisation"]].id
        user.specialisms = list(item.get("specialisms") or [])
        session.add(user)
        report.mediators += 1
    session.flush()
    return report

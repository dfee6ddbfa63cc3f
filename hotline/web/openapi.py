"""The OpenAPI 3.1 document of /api: paths written here, every body and answer generated from hotline/web/schemas.py.

Tests check it covers every route and that every answer conforms.
"""
from __future__ import annotations

from typing import Any, Dict

from hotline.cases import queries
from hotline.cases.lifecycle import STATUS_NAMES
from hotline.triage import DISPUTE_TYPES
from hotline.web import schemas

Schema = Dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "请求不符合本文档（参数或请求体的类型、取值、长度）"),
    "401": _json(_ref("Error"), "未登录或令牌无效"),
    "403": _json(_ref("Error"), "没有权限（或浏览器会话缺少 X-CSRF-Token）"),
    "404": _json(_ref("Error"), "案件不存在"),
    "413": _json(_ref("Error"), "请求体超过 1 MB"),
    "429": {**_json(_ref("Error"), "请求太频繁（每个调用方每分钟 300 次）"),
            "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}},
}
UNKNOWN = {"422": _json(_ref("Error"), "格式正确，但指向不存在的单位（unknown_organisation）")}
LIMIT = {"type": "integer", "minimum": 1, "maximum": queries.MAX_PAGE, "default": 50}
ROW_ID = {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}, "description": "案件编号"}


def _action(summary: str, body: str, description: str = "", optional_body: bool = True, status: str = "200",
            conflict: str = "案件当前状态不允许这项操作") -> Schema:
    return {"post": {
        "summary": summary, "description": description, "parameters": [NUMBER],
        "requestBody": {"required": not optional_body, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": {status: _json(_ref("CaseDetail"), "案件（操作后）"), **ERRORS,
                      "409": _json(_ref("Error"), conflict), "422": _json(_ref("Error"), "内容不完整或不正确")},
    }}


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PATHS: Dict[str, Schema] = {
    "/api/health": {"get": {"summary": "健康检查", "security": [],
                            "responses": {"200": _json(_ref("Health"), "服务和数据库正常"), "429": ERRORS["429"]}}},
    "/api/openapi.json": {"get": {"summary": "本文档", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3.1 document",
                                                        "content": {"application/json": {}}},
                                                "429": ERRORS["429"]}}},
    "/api/meta": {"get": {"summary": "接口接受的代码及中文名称", "security": [],
                          "responses": {"200": _json(_ref("Meta"), "代码表"), "429": ERRORS["429"]}}},
    "/api/queue": {"get": {
        "summary": "待办队列：未认领的案件，按预警等级、办理期限排序",
        "parameters": [_query("limit", LIMIT, "条数"),
                       _query("organisation", {"type": "string"}, "单位代码"),
                       _query("dispute_type", {"enum": list(DISPUTE_TYPES)}, "纠纷类型")],
        "responses": {"200": _json(_ref("Queue"), "队列"), **ERRORS, **UNKNOWN}}},
    "/api/queue/claim-next": {"post": {
        "summary": "认领队首案件（并发认领互不重复）",
        "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("ClaimNext")}}},
        "responses": {"200": _json(_ref("CaseDetail"), "认领到的案件"), **ERRORS, **UNKNOWN,
                      "404": _json(_ref("Error"), "队列为空（queue_empty）")}}},
    "/api/cases": {
        "get": {
            "summary": "案件列表（新的在前）",
            "parameters": [
                _query("status", {"enum": list(STATUS_NAMES)}, "状态"),
                _query("warning_level", {"enum": list(schemas.WARNING_FILTERS)}, "预警等级"),
                _query("dispute_type", {"enum": list(DISPUTE_TYPES)}, "纠纷类型"),
                _query("assignee", {"type": "string"}, "承办人用户名"),
                _query("overdue", {"enum": list(schemas.OVERDUE_VALUES)}, "是否超期"),
                _query("organisation", {"type": "string"}, "单位代码"),
                _query("group", ROW_ID, "群体性纠纷编号"),
                _query("limit", LIMIT, "条数"),
                _query("cursor", ROW_ID, "上一页返回的 next_cursor"),
            ],
            "responses": {"200": _json(_ref("CaseList"), "案件"), **ERRORS}},
        "post": {
            "summary": "登记案件（信息上报）",
            "description": "Without `triage`, the record is built from the text by the rule-based triage with the "
                           "given dispute type. The same `Idempotency-Key` header (or `intake_key`) returns the "
                           "case it opened before, with status 200.",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "minLength": 1, "maxLength": schemas.IDEMPOTENCY_KEY_MAX,
                                       "pattern": schemas.IDEMPOTENCY_KEY_PATTERN}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewCase")}}},
            "responses": {"201": _json(_ref("CaseDetail"), "新登记的案件"),
                          "200": _json(_ref("CaseDetail"), "同一幂等键已登记的案件"), **ERRORS,
                          "422": _json(_ref("Error"), "内容不正确")}},
    },
    "/api/cases/{number}": {"get": {
        "summary": "案件详情（一案一卷）", "parameters": [NUMBER],
        "responses": {"200": _json(_ref("CaseDetail"), "案件"), **ERRORS}}},
    "/api/cases/{number}/file": {"get": {
        "summary": "案卷：可打印的 HTML 文档", "parameters": [NUMBER],
        "responses": {"200": {"description": "printable case file",
                              "content": {"text/html": {"schema": {"type": "string"}}}}, **ERRORS}}},
    "/api/cases/{number}/claim": _action(
        "认领", "Empty", "The caller must be a person (session, or a token made with --user). Of simultaneous "
                        "claims exactly one wins; the others get 409 already_claimed.",
        conflict="已被其他调解员认领（already_claimed）"),
    "/api/cases/{number}/release": _action("退回队列", "Note", "Only the holder (or an admin)."),
    "/api/cases/{number}/register": _action("核实立案", "Note"),
    "/api/cases/{number}/assign": _action("分流交办到单位", "Assign"),
    "/api/cases/{number}/transfer": _action("转办", "Transfer", optional_body=False),
    "/api/cases/{number}/escalate": _action("升级到上一级", "Reason", optional_body=False,
                                            conflict="已在最高层级（top_tier）或状态不允许"),
    "/api/cases/{number}/resolve": _action(
        "办结反馈", "Resolve", "调解成功 needs the agreement; 调解不成 needs the next path.", optional_body=False),
    "/api/cases/{number}/evaluate": _action("考核评价", "Evaluate", optional_body=False),
    "/api/cases/{number}/close": _action("结案", "Note"),
    "/api/cases/{number}/reopen": _action("重新办理", "Reason", optional_body=False),
    "/api/cases/{number}/warning-level": _action(
        "调整预警等级", "WarningLevel", "Anyone may raise; only a person may lower or lift (null).",
        optional_body=False),
    "/api/cases/{number}/parties": _action("添加当事人", "Party", optional_body=False, status="201"),
    "/api/cases/{number}/documents": _action("添加材料", "Document", optional_body=False, status="201"),
    "/api/handoffs": {"get": {
        "summary": "等待人工接入的对话（等待最久的在前）",
        "parameters": [_query("limit", LIMIT, "条数")],
        "responses": {"200": _json(_ref("Handoffs"), "等待中的转人工"), **ERRORS}}},
    "/api/conversations/{channel}/{provider_user_id}/messages": {"get": {
        "summary": "某渠道某群众的全部消息（收到的和发出的，按时间顺序，含渠道消息标识和送达状态）",
        "description": "Operators and admins read any conversation; a mediator only one whose case they hold or took "
                       "over. provider_user_id: the web chat conversation, the WeChat OpenID or the phone in E.164.",
        "parameters": [{"name": "channel", "in": "path", "required": True,
                        "schema": {"enum": ["webchat", "wechat", "sms", "voice"]}},
                       {"name": "provider_user_id", "in": "path", "required": True,
                        "schema": {"type": "string", "maxLength": 128}}],
        "responses": {"200": _json(_ref("ConversationMessages"), "消息"), **ERRORS}}},
    "/api/cases/{number}/messages": {"get": {
        "summary": "对话记录（after 之后的消息）",
        "parameters": [NUMBER, _query("after", {"type": "integer", "minimum": 0, "maximum": queries.MAX_MESSAGE_ID, "default": 0},
                                      "上次看到的消息 id")],
        "responses": {"200": _json(_ref("Messages"), "消息"), **ERRORS}}},
    "/api/cases/{number}/accept": _action(
        "接入对话（人工接管，机器人暂停）", "Empty", "A mediator who holds no case claims it first. The caller must be "
                                         "a person.", conflict="对话已由他人接待，或案件不是在线对话"),
    "/api/cases/{number}/reply": {"post": {
        "summary": "回复群众（在群众原来的渠道送达）", "parameters": [NUMBER],
        "description": "Takes the conversation over if nobody holds it yet (the bot pauses). The caller must be a "
                       "person who holds the case, or an operator or admin.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Reply")}}},
        "responses": {"201": _json(_ref("Message"), "已记录并排队送达的消息"), **ERRORS,
                      "409": _json(_ref("Error"), "对话已由他人接待，或案件不是在线对话"),
                      "422": _json(_ref("Error"), "内容为空或太长")}}},
    "/api/cases/{number}/handback": _action(
        "交还机器人（恢复自动服务）", "Note", "The bot resumes and tells the citizen where the case stands.",
        conflict="没有正在进行的人工对话（no_handoff）"),
    "/api/groups/{group_id}": {"get": {
        "summary": "群体性纠纷",
        "parameters": [{"name": "group_id", "in": "path", "required": True, "schema": ROW_ID}],
        "responses": {"200": _json(_ref("Group"), "群体及其案件"), **ERRORS}}},
    "/api/organisations": {"get": {"summary": "单位", "responses": {"200": _json(_ref("Organisations"), "单位"),
                                                                    **ERRORS}}},
}


def spec(server_url: str = "") -> Dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "矛盾纠纷调解热线 API",
            "version": "1.0",
            "description": "Cases of the hotline's closed loop (信息上报 → 核实立案 → 分流交办 → 跟踪处理 → 事件反馈 "
                           "→ 考核评价 → 结案). Errors are {\"error\": {\"code\", \"message\"}} with a Chinese "
                           "message. Authenticate with `Authorization: Bearer <token>` (`hotline token create`) "
                           "or the console's session cookie plus the `X-CSRF-Token` header on changes.",
        },
        "servers": [{"url": server_url or "/"}],
        "security": [{"bearerAuth": []}, {"consoleSession": []}],
        "paths": PATHS,
        "components": {
            # One declaration per body and answer (hotline/web/schemas.py): what the API validates is published.
            "schemas": schemas.openapi_schemas(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "consoleSession": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }

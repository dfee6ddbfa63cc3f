"""JSON errors with a code and a Chinese message a person can act on."""
from __future__ import annotations

from flask import jsonify

# What a person reads for an HTTP refusal that no view chose the words for.
HTTP_MESSAGES = {
    400: "请求格式不对，请检查后重试。",
    404: "没有这个接口。",
    405: "这个接口不支持该请求方法。",
    413: "提交的内容太大了（不超过 1 MB），请删减后重试。",
    429: "您的操作太频繁了，请稍等一会儿再试。",
}


def json_error(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response

"""The citizen's rating: read from what people write, stored once, only for a resolved case of their own."""
from __future__ import annotations

import pytest

from hotline.cases import queries, service
from hotline.cases.errors import Conflict
from hotline.cases.models import User
from hotline.conversations import rating


@pytest.mark.parametrize("text, expected", [
    ("5分", (5, "")),
    ("给五分，调解员很耐心", (5, "调解员很耐心")),
    ("4", (4, "")),
    ("打4分吧 就是太慢了", (4, "就是太慢了")),
    ("三星", (3, "")),
    ("满分！", (5, "")),
    ("非常满意", (5, "非常满意")),
    ("不满意，根本没人管", (2, "不满意，根本没人管")),
    ("非常不满意", (1, "非常不满意")),
    ("1分 没有", (1, "")),
])
def test_scores_and_comments_are_read_from_what_citizens_write(text, expected):
    assert rating.parse_rating(text) == expected


@pytest.mark.parametrize("text", ["", "谢谢", "你好我想问个事", "2026年"])
def test_no_score_is_invented(text):
    assert rating.parse_rating(text) is None


def test_a_resolved_case_is_rated_once_by_its_conversation(sessions, make_case, people):
    with sessions.begin() as session:
        case = make_case(session, "楼上漏水泡了我家天花板", "neighbor", channel="webchat", sender_id="web-r")
        assert rating.awaiting_rating(session, "webchat", "web-r") is None  # not resolved yet
        zhang = session.get(User, people["zhang"])
        service.claim(session, case.number, zhang)
        service.resolve(session, case, zhang, outcome="success", difficulty="general", agreement="楼上赔偿修缮费八百元")
        waiting = rating.awaiting_rating(session, "webchat", "web-r")
        assert waiting.number == case.number
        assert rating.awaiting_rating(session, "webchat", "someone-else") is None
        rating.rate(session, waiting, 4, "调解员来得很及时")
        case = queries.get_case(session, case.number)
        assert (case.citizen_rating, case.citizen_comment) == (4, "调解员来得很及时")
        assert case.status == "feedback"  # 考核评价 stays the reviewing staff's step
        with pytest.raises(Conflict):
            rating.rate(session, case, 5)
        assert rating.awaiting_rating(session, "webchat", "web-r") is None

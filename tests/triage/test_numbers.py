"""Chinese quantity words to numbers: the lower bound of a vague quantity."""

import pytest

from hotline.triage import parse_chinese_number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("三万", 30000),
        ("3万", 30000),
        ("30000", 30000),
        ("三万多", 30000),
        ("3万多", 30000),
        ("3.5万", 35000),
        ("三点五万", 35000),
        ("1.2万", 12000),
        ("两千五", 2500),
        ("三千五", 3500),
        ("一万二", 12000),
        ("3万5", 35000),
        ("5千", 5000),
        ("3k", 3000),
        ("5W", 50000),
        ("二十多", 20),
        ("二十几", 20),
        ("十几", 10),
        ("十来", 10),
        ("一百来", 100),
        ("几十", 20),
        ("几百", 200),
        ("几万", 20000),
        ("几", 2),
        ("十几万", 100000),
        ("几十万", 200000),
        ("三十多万", 300000),
        ("一千多万", 10_000_000),
        ("1,200", 1200),
        ("12,000", 12000),
        ("万把块", 10000),
        ("千把块", 1000),
        ("五六十", 50),
        ("三四万", 30000),
        ("十七八", 17),
        ("两三千", 2000),
        ("八百块钱", 800),
        ("二十多个人", 20),
        ("十几户", 10),
        ("一万左右", 10000),
        ("三十出头", 30),
        ("两", 2),
        ("一亿", 100_000_000),
        ("二零二三", 2023),
        ("３万", 30000),
        ("0", 0),
    ],
)
def test_parses_quantities_to_their_lower_bound(text, expected):
    value = parse_chinese_number(text)
    assert value == expected
    assert isinstance(value, int)


@pytest.mark.parametrize("text, expected", [("3.5", 3.5), ("半", 0.5), ("一个半", 1.5), ("三点五", 3.5)])
def test_fractions_stay_floats(text, expected):
    assert parse_chinese_number(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "abc", "多", "工资", "三点", ".5", "3..5", None, 123])
def test_not_a_number_gives_none(text):
    assert parse_chinese_number(text) is None

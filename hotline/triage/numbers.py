"""Chinese and Arabic quantity words to numbers, vague quantities to their lower bound.

The rule (from the issue): a vague quantity counts as its lower bound, so that
thresholds are never reached by guessing high:
二十多 -> 20, 十几 -> 10, 三万多 -> 30000, 一百来 -> 100, 五六十 -> 50,
万把块 -> 10000.

One deliberate exception, 几 *before* a unit counts as 2: 几十 -> 20,
几百 -> 200, 几万 -> 20000. 十几 already names 11-19, so a speaker who says
几十 means at least 20; reading it as 10 would put "几十个人上访" below the
20-person orange threshold that the speaker plainly describes. 几 after a
unit or on its own end adds nothing (十几 -> 10, 二十几 -> 20); 几 alone is 2.
"""

import re
from typing import Optional, Union

import cn2an

Number = Union[int, float]

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
_SIMPLE_DIGITS = str.maketrans({"两": "二", "俩": "二", "仨": "三", "〇": "零", "幺": "一"})

# Counters a caller may leave on the number ("万把块", "二十多个人"); they carry no value.
_TRAILING_WORDS = re.compile(
    r"(?:块钱|块|元钱|元|圆|人民币|个人|号人|口人|个|人|名|位|户|家|口)$"
)
_APPROX_SUFFIX = re.compile(r"(?:左右|上下|出头|以上|开外)$")
_THOUSANDS = re.compile(r"(?<!\d)(\d{1,3}(?:,\d{3})+)(?![\d,])")
_CN_DIGITS = "零一二三四五六七八九"
# "五六十" / "三四万" / "十七八": two neighbouring digits name a range; keep the first.
_RANGE = re.compile(r"(?<![零一二三四五六七八九])([一二三四五六七八])([二三四五六七八九])(?=[十百千万亿]|$)")
_ALL_CN_NUMBER = re.compile(r"^[零一二三四五六七八九十百千万亿]+$")
_DECIMAL_BEFORE_UNIT = re.compile(r"^(.+?[点.].+?)([百千万亿])$")
_ARABIC = re.compile(r"^\d+(?:\.\d+)?$")
_UNIT_VALUE = {"百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}


def _is_range(first: str, second: str) -> bool:
    a, b = _CN_DIGITS.index(first), _CN_DIGITS.index(second)
    return b == a + 1 or (a, b) == (3, 5)  # 三五个 = "a few", from 3


def _tidy(value: Number) -> Number:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _cn2an(text: str) -> Optional[Number]:
    try:
        return _tidy(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _normalise(text: str) -> str:
    s = text.strip().translate(_FULLWIDTH)
    s = re.sub(r"\s+", "", s)
    s = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), s)
    s = _TRAILING_WORDS.sub("", s)
    s = _APPROX_SUFFIX.sub("", s)
    s = s.translate(_SIMPLE_DIGITS)
    # Colloquial 3k / 3w.
    s = re.sub(r"(?<=\d)[kK]$", "千", s)
    s = re.sub(r"(?<=\d)[wW]$", "万", s)
    s = s.replace("廿", "二十").replace("卅", "三十")
    return s


def _resolve_vague(s: str) -> str:
    # 多/余/来/把 mean "a little more than": the lower bound drops them.
    s = re.sub(r"[多余来把]", "", s)
    # 十几 (11-19) -> 十; trailing 几 adds nothing; 几 before a unit is 2.
    s = s.replace("十几", "十")
    s = re.sub(r"几(?=[十百千万亿])", "二", s)
    s = re.sub(r"(?<=.)几$", "", s)
    if s == "几":
        s = "二"
    # A bare leading unit: 万把 -> 万 -> 一万, 百来 -> 百 -> 一百.
    if s and s[0] in "百千万亿":
        s = "一" + s
    # Two neighbouring digits are a range (五六十, 三四万, 十七八); keep the lower.
    m = _RANGE.search(s)
    while m and _is_range(m.group(1), m.group(2)):
        s = s[: m.start(2)] + s[m.end(2):]
        m = _RANGE.search(s)
    return s


def parse_chinese_number(text: str) -> Optional[Number]:
    """Parse a quantity such as 三万多, 3.5万, 两千五, 1,200 or 十几; None if it is not one.

    Returns an int when the value is whole, else a float (3.5, 半 -> 0.5).
    Vague quantities give their lower bound (see the module docstring).
    """
    if not isinstance(text, str):
        return None
    s = _normalise(text)
    if not s:
        return None
    if s == "半":
        return 0.5
    half = 0.0
    if len(s) > 1 and s.endswith("半") and s[-2] not in "百千万亿":
        s, half = s[:-1], 0.5  # 一个半 / 一年半 style, unit already stripped by the caller
        s = s.rstrip("个")
    s = _resolve_vague(s)
    if not s or not re.fullmatch(r"[\d.零一二三四五六七八九十百千万亿点]+", s) or s[-1] in "点.":
        return None
    if re.search(r"[.点][\d零一二三四五六七八九]{7,}", s):
        return None  # no caller means that precision (and cn2an would warn)
    value: Optional[Number]
    if _ARABIC.match(s):
        value = _tidy(float(s)) if "." in s else int(s)
    else:
        m = _DECIMAL_BEFORE_UNIT.match(s)
        if m and not re.search(r"[百千万亿]", m.group(1)):
            base = _cn2an(m.group(1))
            value = None if base is None else _tidy(round(base * _UNIT_VALUE[m.group(2)], 6))
        else:
            value = _cn2an(s)
    if value is None:
        return None
    return _tidy(value + half) if half else value

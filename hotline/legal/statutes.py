"""The statutes the FAQ may cite: how many articles each has in the version checked, and which laws are repealed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

# Whole law names (after 中华人民共和国 is dropped) that the 2021 民法典 repealed,
# and 担保法 / 民法总则 with them. 劳动合同法 contains 合同法, so names are
# compared whole, never by substring.
REPEALED_LAWS = frozenset({
    "合同法", "婚姻法", "侵权责任法", "物权法", "民法通则", "继承法",
    "担保法", "收养法", "民法总则",
})

# Judicial interpretations whose full titles are too long for a reply.
SHORT_NAMES = {
    "最高人民法院关于审理民事案件适用诉讼时效制度若干问题的规定": "最高人民法院诉讼时效规定",
    "最高人民法院关于审理商品房买卖合同纠纷案件适用法律若干问题的解释": "最高人民法院商品房买卖合同解释",
}


@dataclass(frozen=True)
class Statute:
    articles: int   # the last article number of the version below
    version: str    # the version the FAQ's citations were checked against


# Keyed by the short name a citizen reads (short_law_name). A law cited by
# the FAQ must be here: a citation beyond ``articles`` or of a law missing
# from this table fails tests/legal/test_faq.py. Bump ``version`` (and have
# the entries that cite the law reviewed again) when a law is amended.
STATUTES = {
    "民法典": Statute(1260, "2020年5月28日通过，2021年1月1日施行"),
    "民事诉讼法": Statute(306, "2023年修正"),
    "行政诉讼法": Statute(103, "2017年修正"),
    "刑法": Statute(452, "2023年修正（修正案十二）"),
    "人民调解法": Statute(35, "2010年"),
    "法律援助法": Statute(71, "2021年"),
    "劳动法": Statute(107, "2018年修正"),
    "劳动合同法": Statute(98, "2012年修正"),
    "劳动争议调解仲裁法": Statute(54, "2007年"),
    "社会保险法": Statute(98, "2018年修正"),
    "工伤保险条例": Statute(67, "2010年修订"),
    "职工带薪年休假条例": Statute(10, "2007年"),
    "企业职工带薪年休假实施办法": Statute(25, "2008年"),
    "劳动保障监察条例": Statute(36, "2004年"),
    "保障农民工工资支付条例": Statute(64, "2019年"),
    "女职工劳动保护特别规定": Statute(16, "2012年"),
    "农村土地承包法": Statute(70, "2018年修正"),
    "农村土地承包经营纠纷调解仲裁法": Statute(53, "2009年"),
    "土地管理法": Statute(87, "2019年修正"),
    "国有土地上房屋征收与补偿条例": Statute(35, "2011年"),
    "国有土地上房屋征收评估办法": Statute(34, "2011年"),
    "商品房销售管理办法": Statute(45, "2001年"),
    "建设工程质量管理条例": Statute(82, "2019年修订"),
    "义务教育法": Statute(63, "2018年修正"),
    "未成年人保护法": Statute(132, "2024年修正"),
    "反家庭暴力法": Statute(38, "2015年"),
    "老年人权益保障法": Statute(85, "2018年修正"),
    "消费者权益保护法": Statute(63, "2013年修正"),
    "食品安全法": Statute(154, "2021年修正"),
    "消防法": Statute(74, "2021年修正"),
    "环境保护法": Statute(70, "2014年修订"),
    "大气污染防治法": Statute(129, "2018年修正"),
    "噪声污染防治法": Statute(90, "2021年"),
    "道路交通安全法": Statute(124, "2021年修正"),
    "道路交通事故处理程序规定": Statute(115, "2017年（公安部令第146号）"),
    "医疗纠纷预防和处理条例": Statute(56, "2018年"),
    "民法典婚姻家庭编解释（一）": Statute(91, "法释〔2020〕22号"),
    "最高人民法院诉讼时效规定": Statute(23, "2020年修正"),
    "最高人民法院商品房买卖合同解释": Statute(24, "2020年修正"),
}

_DIGITS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_ARTICLE_NUMBER = re.compile(r"^第([零一二三四五六七八九十百千]+)条")


def chinese_number(text: str) -> int:
    """一千零七十六 -> 1076, 十四 -> 14, 二百七十六 -> 276."""
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + (digit or 0)


def article_number(article: str) -> int:
    """第二百七十六条之一 -> 276; 第一百二十七条第七项 -> 127."""
    found = _ARTICLE_NUMBER.match(article)
    if not found:
        raise ValueError(f"not an article: {article!r}")
    return chinese_number(found.group(1))


def statute(short_name: str) -> Optional[Statute]:
    return STATUTES.get(short_name)


__all__ = ["REPEALED_LAWS", "SHORT_NAMES", "STATUTES", "Statute", "article_number", "chinese_number", "statute"]

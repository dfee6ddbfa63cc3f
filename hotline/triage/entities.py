"""Rule-based entities in a citizen's message, with normalised values and character offsets.

Every entity is ``{"entity", "value", "text", "start", "end"}`` with
``text == message[start:end]``. Kinds and values:

``people_count`` (int)
    二十多个人 -> 20, 十几户 -> 10, 五六十号人 -> 50, 一百多口人 -> 100,
    我们三家 -> 3. A household (户/家) counts as one here: the number is what
    the caller said, and a lower bound on the people involved. The span is the
    quantity only ("全村一百多口人" gives "一百多口人").
``amount`` (int, yuan)
    三万多块 -> 30000, 3万元, 两千五, 5千, 八百块钱, 1.2万, 十几万. A number
    with 百/千/万/亿 or a currency word is money; a bare number (30000, 八十)
    only after a money word (欠, 工资, 押金 ...). Phone numbers, ID numbers,
    dates, times, percentages, plates, people counts, durations and anything
    followed by a measure word (栋, 米, 亩, 岁 ...) are never amounts.
``duration`` (dict)
    ``{"amount": 3, "unit": "month", "days": 90}``; unit is day, week, month
    or year; ``days`` is approximate (month = 30, year = 365) for comparing
    across units. 半年 -> 0.5 year, 两年多 -> 2 years, 一个半月 -> 1.5 months.
    Months need 个 (三个月): 三月 is March.
``location`` (str, the span)
    Place names ending in 省/市/县/区/镇/乡/村/街道/社区/小区/路/街 ..., chained
    (城关镇幸福村) and followed by numbered parts (阳光花园小区3栋, 解放路128号,
    幸福村三组). Best effort: a name needs two characters before its suffix,
    and the left edge stops at verbs, pronouns, particles and time words.
``party`` (role code)
    The other side or a person involved, by keyword; see PARTY_ROLES.
``phone`` (digits)
    Mobile numbers 1[3-9]xxxxxxxxx (with +86, spaces or hyphens allowed) and
    landlines 0xxx-xxxxxxx; a bare 7-8 digit number only after 电话/座机.
``id_number`` (str, upper-case X)
    18-character resident ID numbers with a valid checksum and birth date, and
    15-digit old-style numbers with a valid birth date.
``case_number`` (str)
    The project's case numbers, JF + 8-digit date + 6-digit id, however typed
    (jf20261122000001, JF 20261122 000001) -> JF20261122000001.

``mask_pii`` masks phones (138****5678), ID numbers (first 6 and last 4
kept) and, because privacy wins over precision, any other run of 15-19 digits
(bank cards, mistyped IDs) the same way as an ID.
"""

import datetime
import re
from typing import Dict, Iterable, List, Optional, Tuple

from .numbers import parse_chinese_number

Entity = Dict[str, object]
Span = Tuple[int, int]

# --- PII -------------------------------------------------------------------

_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[-\s]?)?(1[3-9]\d(?:[-\s]?\d{4}){2})(?!\d)")
_LANDLINE = re.compile(
    r"(?<!\d)((?:[(（]0(?:10|2\d|[3-9]\d{2})[)）]|0(?:10|2\d|[3-9]\d{2}))[-\s]?\d{7,8})(?!\d)"
)
_LOCAL_PHONE = re.compile(r"(?:电话|座机|固话|号码)(?:号码)?(?:是|为|:|：)?\s*(\d{7,8})(?!\d)")
_ID18 = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])(\d{15})(?![0-9A-Za-z])")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{9,}(?!\d)")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def is_valid_id_number(value: str) -> bool:
    """True for an 18-char resident ID with a valid checksum and birth date, or a valid 15-digit one."""
    v = value.upper()
    if re.fullmatch(r"\d{17}[\dX]", v):
        if v[0] == "0" or not _valid_date(int(v[6:10]), int(v[10:12]), int(v[12:14])):
            return False
        if not 1900 <= int(v[6:10]) <= 2100:
            return False
        total = sum(int(d) * w for d, w in zip(v[:17], _ID_WEIGHTS))
        return _ID_CHECK[total % 11] == v[17]
    if re.fullmatch(r"\d{15}", v):
        return v[0] != "0" and _valid_date(1900 + int(v[6:8]), int(v[8:10]), int(v[10:12]))
    return False


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _pii_entities(text: str) -> List[Entity]:
    found: List[Entity] = []
    taken: List[Span] = []

    def add(kind: str, value: str, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(_entity(kind, value, text, start, end))

    for rx in (_ID18, _ID15):
        for m in rx.finditer(text):
            if is_valid_id_number(m.group(1)):
                add("id_number", m.group(1).upper(), m.start(1), m.end(1))
    for m in _MOBILE.finditer(text):
        add("phone", _digits(m.group(1)), m.start(1), m.end(1))
    for m in _LANDLINE.finditer(text):
        add("phone", _digits(m.group(1)), m.start(1), m.end(1))
    for m in _LOCAL_PHONE.finditer(text):
        add("phone", m.group(1), m.start(1), m.end(1))
    return found


def _mask_digits(s: str, head: int, tail: int) -> str:
    """Replace the digits of s with * except the first `head` and last `tail` (X counts as a digit)."""
    positions = [i for i, ch in enumerate(s) if ch.isdigit() or ch in "Xx"]
    keep = set(positions[:head]) | set(positions[len(positions) - tail:] if tail else [])
    return "".join("*" if i in positions and i not in keep else ch for i, ch in enumerate(s))


def mask_pii(text: str) -> str:
    """The text with phone numbers, ID numbers and long digit runs masked (138****5678)."""
    spans: List[Tuple[int, int, int, int]] = []  # start, end, head, tail
    for e in _pii_entities(text):
        s, t = e["start"], e["end"]
        raw = text[s:t]
        if e["entity"] == "id_number":
            spans.append((s, t, 6, 4))
        elif _digits(raw).startswith("1") and len(_digits(raw)) == 11:
            spans.append((s, t, 3, 4))
        elif _digits(raw).startswith("0"):
            area = 3 if _digits(raw)[:3] == "010" or _digits(raw)[1] == "2" else 4
            spans.append((s, t, area, 4))
        else:
            spans.append((s, t, 0, 4))
    for m in _LONG_DIGITS.finditer(text):
        if 15 <= len(m.group()) <= 19 and not any(m.start() < e and s < m.end() for s, e, _, _ in spans):
            spans.append((m.start(), m.end(), 6, 4))
    out = text
    for s, t, head, tail in sorted(spans, reverse=True):
        out = out[:s] + _mask_digits(out[s:t], head, tail) + out[t:]
    return out


# --- spans that are never quantities -----------------------------------------

_CN_D = "零〇一二两三四五六七八九十"
_NOT_QUANTITY = [
    re.compile(p)
    for p in (
        r"\d{4}\s*[年./-]\s*\d{1,2}\s*[月./-]\s*\d{1,2}\s*[日号]?",
        r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?",
        r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]?",
        r"(?<![\d个])\d{1,2}\s*月(?!份?工资)",
        r"(?<![\d.])\d{1,2}\s*[日号](?![楼院线房门车人])",
        r"\d{1,2}[:：]\d{2}",
        r"(?<![\d.])\d{1,2}\s*点(?:半|\d{1,2}分?|钟|多)?(?![\d万千百亿元块])",
        r"[零〇一二三四五六七八九]{2,4}年",
        r"(?<![" + _CN_D + r"个])[一二三四五六七八九十]{1,3}月(?:份|[一二三四五六七八九十]{1,3}[日号])?",
        r"(?<![" + _CN_D + r"])[一二三四五六七八九十]{1,3}[日号](?![楼院线房门车人])",
        r"[一二三四五六七八九十两]{1,3}点(?:半|[一二三四五六七八九十]{1,3}分|钟|整|多)?(?![一二三四五六七八九十零\d万千百亿元块])",
        r"(?<![\d.])\d+(?:\.\d+)?\s*[%％]|百分之[\d零一二三四五六七八九十百点.]+",
        r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Za-z][A-Za-z0-9]{5,6}",
        r"(?<![零〇一二两三四五六七八九十百千万\d])(?:十万火急|三天两头|一五一十|三番五次|一清二楚|一干二净|乱七八糟"
        r"|七上八下|五花八门|四面八方|一模一样|三长两短|一举两得|九牛一毛|一心一意|三心二意|二百五(?![十万千])"
        r"|一分钱|一毛钱|千万(?![元块])|万一)",
    )
]

# --- quantities ----------------------------------------------------------------

_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CN_START = "零〇一二两俩仨三四五六七八九十廿几"
_CN_BODY = _CN_START + "百千万亿多余来把"
_NUM = re.compile(
    rf"(?:(?<![\dA-Za-z.,]){_ARABIC}(?:[kKwW](?![A-Za-z]))?|[{_CN_START}]|[百千万]把)"
    rf"(?:{_ARABIC}|[{_CN_BODY}]|点(?=[零一二三四五六七八九]))*"
)
_HALF_DURATION = re.compile(r"(?<![个零〇一二两三四五六七八九十几\d])(大)?半(个)?(多)?(月|年|天|周|星期|礼拜)(?![级纪龄轻底初代度份终假薪])")
_DURATION_TAIL = re.compile(
    r"(个半|半)?(个)?(多)?(月|年|天|周|星期|礼拜)(多|半)?(?![级纪龄轻底初代度份终假薪会检货岁末])"
)
_DURATION_UNITS = {"天": "day", "周": "week", "星期": "week", "礼拜": "week", "月": "month", "年": "year"}
_DAYS_PER_UNIT = {"day": 1, "week": 7, "month": 30, "year": 365}

# Counted, these are people: "二十多个兄弟" are 20 workers, not a relative.
_PERSON_NOUNS = (
    "农民工|工人|员工|职工|工友|业主|村民|居民|住户|租户|商户|家长|学生|同事|老人|孩子|小孩|"
    "师傅|老乡|群众|人员|股东|会员|受害人|兄弟|弟兄|姐妹|哥们|乡亲|伙计|人"
)
_PEOPLE_TAIL = re.compile(
    rf"(?:(?:个|名|位)(?:{_PERSON_NOUNS})|号人|口人|户(?!口|籍|主|型|头)(?:人家|人)?"
    rf"|家(?!公司|店|厂|企业|银行|医院|单位|超市|饭店|餐馆|网店|门店|机构|学校|商场|酒店|宾馆|工厂|物业|中介)(?:人)?"
    rf"|(?:{_PERSON_NOUNS}))"
)
_HOUSEHOLD_MOUTHS = re.compile(r"口(?![子水气头袋罩])")

_CURRENCY_TAIL = re.compile(
    r"\s*(?:块钱|块(?![地田砖瓦玻璃石板木肉布牌表屏])|元钱|元(?![旦宵素件])|圆|人民币|RMB|rmb)"
)
# Measure words: a number followed by one of these is no amount.
_MEASURE_TAIL = re.compile(
    r"\s*(?:个|名|位|人|户|家|口|号|栋|幢|座|单元|室|楼|层|路|街|巷|弄|组|队|排|米|公里|千米|厘米|里|斤|公斤|克|吨|亩|"
    r"平|间|套|辆|台|部|件|条|只|头|匹|次|遍|趟|回|天|日|周|星期|礼拜|月|年|岁|小时|分钟|秒|点|时|分|角|毛|度|倍|级|"
    r"期|届|班|页|种|样|份|张|本|瓶|包|箱|袋|桶|车|棵|株|颗|根|片|所|处|起|声|下|句|封|项|笔|杯|碗|顿|场|轮|块|把|"
    r"[:：/%％\-])"
)
_BEFORE_NOT_AMOUNT = re.compile(
    r"(?:第|之|号|编号|单号|订单|尾号|卡号|账号|工号|房号|门牌|车牌|电话|手机|拨打|拨|打|热线|QQ|qq|微信|[A-Za-z])\s*$"
)
_MONEY_CONTEXT = re.compile(
    r"钱|欠|借|还|赔|工资|薪|费|款|押金|定金|订金|彩礼|补偿|罚|付|交|退|骗|花了|一共|总共|合计|收了|利息|本金|租|价|税|报销|¥|￥"
)
_HOTLINES = {"110", "119", "120", "122", "12345", "12348", "12315", "12333", "12320", "12369", "12356", "12110"}


def _entity(kind: str, value: object, text: str, start: int, end: int) -> Entity:
    return {"entity": kind, "value": value, "text": text[start:end], "start": start, "end": end}


def _overlaps(start: int, end: int, spans: Iterable[Span]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _whole_or_float(x: float):
    return int(x) if float(x).is_integer() else x


def _duration_value(amount: float, unit: str) -> Dict[str, object]:
    return {"amount": _whole_or_float(amount), "unit": unit, "days": int(round(amount * _DAYS_PER_UNIT[unit]))}


def _number_tokens(text: str):
    """(start, end, value) of each number in text.

    A greedy match can run two numbers together (三千五一个月 = 三千五 + 一个月);
    when the whole run does not parse, the longest prefix that does is taken
    and the scan goes on after it.
    """
    pos = 0
    while True:
        m = _NUM.search(text, pos)
        if not m:
            return
        start, end = m.start(), m.end()
        if end - start > 24:  # a digit run no one says as a quantity (IDs, card numbers)
            pos = end
            continue
        value = parse_chinese_number(text[start:end])
        while value is None and end - start > 1:
            end -= 1
            value = parse_chinese_number(text[start:end])
        if value is not None:
            yield start, end, value
            pos = end
        else:
            pos = m.end()


def _quantities(text: str, blocked: List[Span]) -> List[Entity]:
    """Durations, head counts and sums of money, each number read once (left to right, outside `blocked`)."""
    found: List[Entity] = []
    claimed = list(blocked)
    for m in _HALF_DURATION.finditer(text):
        unit = _DURATION_UNITS[m.group(4)]
        if _overlaps(m.start(), m.end(), claimed) or (unit == "day" and m.group(2)):  # 半个天 is not Chinese
            continue
        found.append(_entity("duration", _duration_value(0.5, unit), text, m.start(), m.end()))
        claimed.append((m.start(), m.end()))
    for start, end, value in _number_tokens(text):
        if _overlaps(start, end, claimed) or text[max(0, start - 8):start].endswith("第"):
            continue
        reading = _duration_at(text, start, end, value) or _people_at(text, start, end, value) or \
            _amount_at(text, start, end, value)
        if reading is not None:
            entity, span = reading
            claimed.append(span)
            if entity is not None:
                found.append(entity)
    return found


# What a number at text[start:end] counts: (the entity or None, the span it claims), or None when it is not one.
Reading = Optional[Tuple[Optional[Entity], Span]]


def _duration_at(text: str, start: int, end: int, value: float) -> Reading:
    d = _DURATION_TAIL.match(text[end:end + 12])
    if not d or (d.group(4) == "月" and not d.group(1) and not d.group(2)):
        return None
    amount = float(value) + (0.5 if d.group(1) or d.group(5) == "半" else 0)
    stop = end + d.end()
    return _entity("duration", _duration_value(amount, _DURATION_UNITS[d.group(4)]), text, start, stop), (start, stop)


def _people_at(text: str, start: int, end: int, value: float) -> Reading:
    rest = text[end:end + 12]
    p = _PEOPLE_TAIL.match(rest)
    if not p and text[max(0, start - 8):start].endswith("家"):
        p = _HOUSEHOLD_MOUTHS.match(rest)  # 一家三口
    if p and value == 1 and p.group().startswith("家"):
        # 一家 / 一家人 / 一家老小: one household of an unknown size, so no head count (the bot asks).
        return None, (start, end + p.end())
    if p and isinstance(value, int) and value > 0:
        stop = end + p.end()
        return _entity("people_count", value, text, start, stop), (start, stop)
    return None


def _amount_at(text: str, start: int, end: int, value: float) -> Reading:
    before, rest = text[max(0, start - 8):start], text[end:end + 12]
    c = _CURRENCY_TAIL.match(rest)
    if c:
        stop = end + c.end()
        return _entity("amount", int(round(value)), text, start, stop), (start, stop)
    if _MEASURE_TAIL.match(rest) or _BEFORE_NOT_AMOUNT.search(before) or value <= 0:
        return None
    token = text[start:end]
    if not re.search(r"[百千万亿kKwW]", token) and (
            token in _HOTLINES or not _MONEY_CONTEXT.search(before) or value < 10):
        return None
    if before.endswith(("¥", "￥")):
        start -= 1
    return _entity("amount", int(round(value)), text, start, end), (start, end)


# --- places --------------------------------------------------------------------

_LOC_SUFFIX = re.compile(
    r"工业园区|经济开发区|开发区|工业园|自治区|自治州|自治县|街道|社区|小区|花园|家园|新村|新城|公寓|大厦|广场|大道|胡同"
    r"|省|市(?![场民长委值价容面])|县(?![长委])|区(?![别域分间长委划])|旗|镇(?![长委])"
    r"|乡(?![亲下长])|村(?![委民子干支书长主集级规务医])|屯|庄|苑"
    r"|路(?![灯费过上边面线人况子段途])|街(?![上头坊边面舞])|巷|弄"
)
_LOC_PARTS = re.compile(
    r"(?:[\d一二三四五六七八九十零〇]+(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|弄|组|期|区|排|队))+"
)
_LOC_MAX_NAME = 8
_LOC_STOP_WORDS = re.compile(
    r"去年|今年|明年|前年|昨天|今天|明天|前天|晚上|早上|上午|下午|中午|凌晨|半夜|刚才|现在|一直|已经|以前|之前|后来|时候"
    r"|那边|这边|家里|老板|邻居|我们|他们|你们|咱们|大家|位于|来自|家住|老家|隔壁|附近|对面|旁边|本地|当地|所在"
    r"|[在住到去从来回往是我你他她它们的了跟与及说要想会能可还也就又再才这那哪个有没不很对为以之而或但被将已着过"
    r"吗呢吧啊呀么啦哦嗯您咱俺把给让叫至由每该此某其找告闹欠借搬租买卖离跑走送堵报]"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _locations(text: str, blocked: List[Span]) -> List[Entity]:
    candidates: List[Span] = []
    for m in _LOC_SUFFIX.finditer(text):
        start = m.start()
        while (
            start > 0
            and m.start() - start < _LOC_MAX_NAME
            and _CJK.match(text[start - 1])
            and not _overlaps(start - 1, start, blocked)
        ):
            start -= 1
        window = text[start:m.start()]
        cut = 0
        for stop in _LOC_STOP_WORDS.finditer(window):
            cut = stop.end()
        start += cut
        if m.start() - start < 2:
            continue
        end = m.end()
        parts = _LOC_PARTS.match(text, end)
        if parts:
            end = parts.end()
        candidates.append((start, end))
    merged: List[List[int]] = []
    for s, e in sorted(candidates):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [_entity("location", text[s:e], text, s, e) for s, e in merged]


# --- parties -------------------------------------------------------------------

# Role code -> the words that name it. Longer words win (物业公司 before 公司).
# 公司/厂里/单位 alone read as the employer: most calls naming them are about wages.
PARTY_ROLES: Dict[str, Tuple[str, ...]] = {
    "employer": ("老板", "包工头", "工头", "公司", "厂里", "厂子", "单位", "用人单位", "老总", "雇主", "项目部", "劳务公司", "建筑公司", "施工队"),
    "coworker": ("同事", "工友"),
    "neighbor": ("邻居", "楼上", "楼下", "隔壁", "对门", "街坊", "楼上邻居", "楼下邻居", "隔壁邻居"),
    "landlord": ("房东", "二房东"),
    "tenant": ("租客", "房客"),
    "property_company": ("物业", "物业公司", "物业管理处", "物管"),
    "owners_committee": ("业委会", "业主委员会"),
    "hospital": ("医院", "医生", "大夫", "护士", "诊所", "卫生院", "主治医生"),
    "ex_spouse": ("前夫", "前妻"),
    "spouse": ("老公", "丈夫", "媳妇", "妻子", "老婆", "爱人"),
    "relative": (
        "婆婆", "公公", "岳父", "岳母", "丈母娘", "老丈人", "儿子", "女儿", "儿媳", "儿媳妇", "女婿", "父亲", "母亲",
        "爸爸", "妈妈", "哥哥", "弟弟", "姐姐", "妹妹", "大伯", "叔叔", "舅舅", "姑姑", "侄子", "外甥", "孙子", "亲戚",
        "小叔子", "大姑子", "嫂子", "弟媳", "继母", "继父", "后妈", "兄弟",
    ),
    "village_committee": ("村委会", "村委", "村干部", "村支书", "村书记", "村主任", "村长", "居委会"),
    "government": ("政府", "镇政府", "乡政府", "街道办", "拆迁办", "征收办", "城管"),
    "developer": ("开发商", "房地产公司", "地产公司", "售楼处", "房开"),
    "merchant": ("商家", "店家", "卖家", "商场", "超市", "店主", "店老板", "网店", "电商", "厂家", "装修公司", "培训机构",
                 "健身房", "理发店", "美容院", "4S店", "4s店", "饭店", "餐馆"),
    "enterprise": ("工厂", "企业", "化工厂", "养殖场", "工地", "施工方"),
    "insurer": ("保险公司",),
    "school": ("学校", "老师", "班主任", "校长", "幼儿园"),
    "classmate": ("同学",),
    "other_driver": ("对方司机", "对方车主", "肇事司机", "肇事者", "肇事方", "对方车辆"),
    "friend": ("朋友",),
}
_PARTY_WORD_ROLE = {w: role for role, words in PARTY_ROLES.items() for w in words}
_PARTY = re.compile("|".join(sorted(map(re.escape, _PARTY_WORD_ROLE), key=len, reverse=True)))


def _parties(text: str, blocked: List[Span]) -> List[Entity]:
    return [
        _entity("party", _PARTY_WORD_ROLE[m.group()], text, m.start(), m.end())
        for m in _PARTY.finditer(text)
        if not _overlaps(m.start(), m.end(), blocked)
    ]


# --- all -----------------------------------------------------------------------

_CASE_NUMBER = re.compile(r"(?<![A-Za-z0-9])[Jj][Ff]\s?(\d{8})\s?(\d{6})(?!\d)")


def _case_numbers(text: str) -> List[Entity]:
    return [_entity("case_number", f"JF{m.group(1)}{m.group(2)}", text, m.start(), m.end())
            for m in _CASE_NUMBER.finditer(text)]


def extract_entities(text: str) -> List[Entity]:
    """All rule entities in text, sorted by position; see the module docstring for kinds and values."""
    if not text:
        return []
    cases = _case_numbers(text)
    pii = [e for e in _pii_entities(text) if not _overlaps(e["start"], e["end"], [(c["start"], c["end"]) for c in cases])]
    pii_spans = [(e["start"], e["end"]) for e in pii] + [(c["start"], c["end"]) for c in cases]
    blocked = list(pii_spans)
    blocked += [(m.start(), m.end()) for m in _LONG_DIGITS.finditer(text)]
    for rx in _NOT_QUANTITY:
        blocked += [(m.start(), m.end()) for m in rx.finditer(text)]
    quantities = _quantities(text, blocked)
    number_spans = pii_spans + [(e["start"], e["end"]) for e in quantities]
    places = _locations(text, number_spans)
    parties = _parties(text, pii_spans)
    # Counted kinship words are the group itself (二十多个兄弟), not a relative on the other side.
    counted = [(e["start"], e["end"]) for e in quantities if e["entity"] == "people_count"]
    parties = [p for p in parties if p["value"] != "relative" or not _overlaps(p["start"], p["end"], counted)]
    return sorted(cases + pii + quantities + places + parties, key=lambda e: (e["start"], e["end"]))


def people_count(entities: Iterable[Entity]) -> Optional[int]:
    """The largest people_count value among entities, or None."""
    values = [e["value"] for e in entities if e.get("entity") == "people_count" and isinstance(e.get("value"), (int, float))]
    return int(max(values)) if values else None

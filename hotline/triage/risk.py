"""Risk signals in a message (danger, escalation, collective action) and the warning level they give.

Signal codes:

``danger:threat_to_kill``  杀了他, 弄死他, 砍死, 要他的命, 放火 ...
``danger:weapon``          菜刀, 拿着刀, 匕首, 枪, 汽油 (with 泼/拿), 拿着棍子 ...
``danger:violence_now``    正在打, 打起来了, 动手, 砸门, 闯进来, 救命, 软禁 ...
``danger:self_harm``       不想活了, 喝农药, 要跳楼, 自杀, 上吊 ...
``escalation_risk``        同归于尽, 让他好看, 动刀, 出人命, 弄死他, 跟他拼了, 报复, 威胁, 家暴 ...
``collective_action``      上访, 拉横幅, 堵门, 围堵, 集体讨薪, 联名, 政府门口, 静坐 ...
``mass_group``             全村, 全体工人, 所有业主, 上百, 一群人 ...: a large group without a number
``people_count:N``         the largest people count, when N >= 5 or there is collective action

Safety wins over precision: a message that may be an emergency is treated
as one (他拿着刀, 喝农药, 不想活了, 要跳楼, 正在打, 砸门). Negation is honoured
only where it is plain and only for violence and weapons: 没有动手 / 没拿刀
give no danger signal, and 差点打起来 is escalation_risk, not danger. Threats
and self-harm are never negated ("不想活了" is itself the signal); the one
exception is a "...死" about animals or crops (我家的鸡被毒死了). 弄死 is
both a threat to kill and an escalation word, so both signals fire.

A question about the law that tells of violence or a weapon is not danger
now ("别人先动手，我还手把他打伤了，会判刑吗", "家里有气枪被举报了要判多久",
"故意杀人罪一般判几年"): when the message asks about liability, sentences,
legality or suing, or asks what to do about something it dates in the past
("…打我，两个月了，我该怎么处理"), tells the act as done, hypothetical, a
matter of possession or of a sentence (了, 被, 如果, 私藏, 判, 罪), and says
nothing of danger now, its
weapon and violence words (and 杀人 as part of a legal term such as 杀人罪)
become ``escalation_risk``: red, a person follows up, no 110. Anything that
may be danger now keeps the danger signals: a time word of now (正在, 现在,
刚/刚才, 还在, and an act of today or last night: the one who hit may still be there), habit (天天, 经常, 又), a threat or a wish to harm (说要, 扬言,
想杀, 准备), a weapon in hand (拿着), blood, a cry for help, a question
about calling the police, any other threat to kill (打死人判几年) and any
self-harm word.

Warning levels (docs/DOMAIN.md, highest first: orange > red > yellow):

- collective action by 20 or more people -> orange; by 5 or more -> red;
  by fewer, or with no number, it raises nothing (yellow if a dispute).
  The exception: no number but a mass-group word counts as 5 or more
  (全村人去上访 is no one-person petition).
- collective action by 5 or more together with danger or escalation ->
  orange: "very likely to cause a sudden incident".
- a danger signal -> red at least, even with no dispute: a threat to kill in
  a dispute is the 民转刑 risk that defines red, and docs/DOMAIN.md asks that
  people in crisis (self-harm) be tracked.
- escalation_risk -> red at least.
- any other dispute -> yellow; no dispute and no signal -> None.
Signals raise the level on their own; ``is_dispute`` only decides between
yellow and None.
"""

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Pattern, Sequence, Tuple, Union

from .entities import extract_entities, people_count as max_people_count
from .taxonomy import higher_level


@dataclass(frozen=True)
class Signal:
    """A risk signal: its code and the exact words of the text that triggered it."""

    code: str
    words: Tuple[str, ...] = ()

    def to_dict(self) -> Dict[str, object]:
        return {"code": self.code, "words": list(self.words)}

    @property
    def is_danger(self) -> bool:
        return self.code.startswith("danger:")


DANGER_THREAT = "danger:threat_to_kill"
DANGER_WEAPON = "danger:weapon"
DANGER_VIOLENCE = "danger:violence_now"
DANGER_SELF_HARM = "danger:self_harm"
ESCALATION = "escalation_risk"
COLLECTIVE = "collective_action"
MASS_GROUP = "mass_group"
PEOPLE_COUNT_PREFIX = "people_count:"

DANGER_NAMES = {
    DANGER_THREAT: "扬言杀人",
    DANGER_WEAPON: "持有凶器",
    DANGER_VIOLENCE: "暴力正在发生",
    DANGER_SELF_HARM: "有自伤自杀风险",
}

_YOU = r"(?:你|他|她|我|他们|你们|她们)"
# A cry for help, not the idioms 救命钱 (money one lives on), 救命稻草, 救命之恩.
_HELP = r"救命(?!钱|稻草|之恩|恩人)"

_PATTERNS: Dict[str, Tuple[str, ...]] = {
    DANGER_THREAT: (
        r"(?:杀|砍|捅|弄|整|掐|毒|烧|炸|勒|打)死(?!也|都|不)",
        rf"杀了{_YOU}?|杀(?:你|他|她)(?:全家)?|杀人",
        r"(?:砍|捅)(?:死|伤)?了?(?:我|你|他|她|人)",
        rf"要(?:了)?{_YOU}的(?:狗)?命|要(?:你|他|她)命",
        r"宰了(?:你|他|她)?|干掉(?:你|他|她)",
        r"灭(?:了)?(?:你|他|她)?(?:全家|满门)",
        r"放火|纵火|(?<![焚燃])烧(?:了|掉)?(?:你|他|她|他们)?(?:家|的房子|房子|的厂|厂)",
        r"扬言(?:要)?(?:杀|砍|弄死|报复|炸)",
    ),
    DANGER_WEAPON: (
        r"菜刀|砍刀|水果刀|尖刀|剔骨刀|匕首|刀子(?!嘴)|斧头|斧子|猎枪|手枪|土枪|气枪|枪支|炸药|雷管|硫酸|汽油弹|电棍|弩",
        r"(?:拿|持|握|举|提|抄|掏|带|拎|挥|舞|亮|抽)(?:着|起|出|了)?(?:一)?(?:把)?"
        r"(?:菜刀|砍刀|水果刀|尖刀|剔骨刀|匕首|刀子|斧头|斧子|镰刀|剪刀|猎枪|手枪|土枪|刀|枪)",
        r"(?:拿|持|举|提|抄|抡|挥|拎|带|用)(?:着|起|了)?(?:一)?(?:根|把)?(?:铁锹|锄头|铁棍|木棍|棍子|钢管|铁棒|棒子|砖头|石头|扳手|锤子|榔头|镰刀|铁锤)",
        r"(?:泼|浇|淋|拿|拎|提|带)(?:着|了)?(?:一)?(?:桶|瓶)?汽油",
        r"动了刀|动刀(?:子)?了",
        # 用 only with the attack after it: 用刀砍了我 is a weapon, 用剪刀剪树枝 is not.
        r"用(?:菜刀|砍刀|水果刀|尖刀|剔骨刀|刀子|刀|斧头|斧子|枪)(?:把|将|往|朝)?.{0,3}?(?:砍|捅|刺|扎|划|杀|打|伤|威胁|逼|顶|指|对着)",
    ),
    DANGER_VIOLENCE: (
        r"正在(?:打|砸|砍|捅|抢|殴打|动手|追|闹)(?!电话|官司|工|牌|麻将|游戏|球|针|扫|字|卡|印|折|算)",
        r"(?:还|又|现在|一直)在?(?:打|砸)(?:我|人|门|东西|孩子|老婆|老人|我妈|我爸)",
        r"在(?:打|砸)(?:我|人|架|门|东西|孩子|老婆|老人|我妈|我爸)(?!电话|手机)",
        r"打(?:我|人)了|打我(?!电话|手机|的电话|座机|的手机)",
        r"打起来了?|动起手来|动手(?!术|脚)|大打出手|厮打|扭打|殴打|群殴|围殴|互殴",
        r"砸(?:门|窗|玻璃|车|东西|店|(?:我|我们|他|他们)家(?:的)?(?:门|窗户?|玻璃|东西)?)",
        r"踹门|撬门|破门|闯进|闯入|冲进(?:来|我家|家里|屋)",
        rf"{_HELP}|快来人|快救|别打了",
        r"(?:赶紧|赶快|快|马上|立刻)(?:点)?(?:派人|出警|过来|来人)",
        r"(?:刚才|刚刚)[^，。！？,.!?]{0,6}(?:打|砍|捅|砸|掐)",
        r"流(?:了)?(?:好多|很多|一地)?血|头破血流|满脸是血|在闹事",
        r"抢劫|绑架|劫持|人质",
        # A child taken by a stranger; a person pushed down stairs, from a height or into water.
        r"(?:孩子|小孩|女儿|儿子|闺女|娃|宝宝|孙子|孙女|外孙|妹妹|弟弟)[^，。！？,.!?]{0,8}?被(?:人)?(?:拐|抱走|偷走|抢走|带走了?不见)|人贩子|拐卖",
        r"把(?:我|他|她|人|孩子|老人|我们|我妈|我爸)[^，。！？,.!?]{0,6}?推(?:下|进)了?(?:楼梯|楼|河|水|沟|井|去)|从(?:楼上|窗户|阳台|楼顶)推",
        # Held against one's will, like a kidnapping (a past detention asked about in law becomes escalation).
        r"软禁|非法拘禁|囚禁|限制了?(?:我|他|她|我们)?的?人身自由|关(?:起来|在[^，。！？,.!?]{0,8}?[里内])(?:了)?[^，。！？,.!?]{0,2}?不让(?:我|他|她)?(?:出|走)",
        r"追着(?:我|他|她|人)?(?:打|砍|杀)",
        r"掐(?:着|住)?(?:我|他|她)的?脖子",
    ),
    DANGER_SELF_HARM: (
        r"不想活了?|活不下去|活着没意思|没法活了|不活了|自杀|轻生|寻死|寻短见|想死|一死了之|了结自己|结束(?:自己的)?生命",
        r"跳楼(?!价|甩卖|大甩卖)|跳河|跳江|跳湖|跳桥|卧轨",
        r"喝农药|喝药|服毒|割腕|上吊",
        r"(?:吃|喝|吞|服)了?(?:一瓶|很多|好多|一把)?安眠药",
        r"死给(?:你|他|她|他们|你们)看",
        # Indirect talk that crisis lines treat as suicide risk: saying goodbye to life,
        # stockpiled pills, a wound that is bleeding now, going off alone to water.
        r"活着(?:就是|只会)?(?:拖累|连累)|(?:睡|睡过去)(?:了)?(?:就)?(?:别|不)(?:再)?(?:醒|要醒)",
        r"(?:药|安眠药)(?:都|已经)?(?:攒|存|准备)好了|攒了?(?:一瓶|好多|很多)?(?:药|安眠药)",
        r"割(?:了|破)?(?:手|手腕|腕)|流了?一地(?:的)?血",
        r"(?:一个人|自己)(?:跑|去|到)了?(?:水库|河边|江边|湖边|楼顶|天台)",
        r"遗书(?!.{0,12}(?:有效|无效|效力))|交代后事|留了?(?:一封)?(?:信|遗言)",
    ),
    ESCALATION: (
        r"同归于尽|鱼死网破|玉石俱焚",
        r"(?:让|给|要)(?:他|她|你|我|他们|你们)(?:好看|点颜色看看)",
        r"动刀(?:子)?|出人命|弄死(?:他|你|她)?",
        r"(?:跟|和|同)(?:他|她|你|他们)?拼(?:了|命)|拼命",
        r"报复|不会放过|饶不了|走着瞧|放狠话|威胁|恐吓|扬言",
        r"家暴|家庭暴力",
        r"差一?点打起来|快(?:要)?打起来",
    ),
    COLLECTIVE: (
        r"越级上访|上访|集访|闹访|缠访|进京",
        r"(?:拉|打|挂|举|扯)(?:起)?(?:了)?横幅|举牌",
        r"堵(?:住|了)?(?:公司|厂|工地|售楼处|政府|路口|大门|门口|门|路)",
        r"围堵|围攻|聚集|静坐|罢工|游行|示威|请愿|联名",
        r"(?<![村组])集体(?!土地|所有|经济|资产|收入|收益|用地|组织|户|合同|财产|林地|宿舍|活动)(?:上访|讨薪|维权|罢工|请愿|静坐|去|到|找)?",
        r"(?:市|县|区|镇|乡|省)?政府(?:门口|大门)|信访局|信访办",
    ),
    MASS_GROUP: (
        r"全村|全组|全厂|全体|全小区|全楼|整个(?:小区|村|楼|厂)",
        r"所有(?:的)?(?:工人|业主|村民|员工|住户|人)",
        r"上百|上千|成百上千|几百|一大帮|一大群|好多人|很多人|一群人|一帮人",
    ),
}

_COMPILED: Dict[str, Tuple[Pattern[str], ...]] = {
    code: tuple(re.compile(p) for p in patterns) for code, patterns in _PATTERNS.items()
}
# Plain negation right before a trigger: 没有动手, 没拿刀, 差点打起来.
_NEGATED = re.compile(r"(?:没有?|未|并未|并没有?|差一?点|险些|没敢|不敢)(?:再|真|真的|敢)?$")
_NEGATABLE = {DANGER_VIOLENCE, DANGER_WEAPON}
# 我家的鸡被毒死了 is a loss, not a threat to a person.
_ANIMAL_OR_CROP = re.compile(r"[鸡鸭鹅狗猫鱼羊牛猪兔鸽蜂虾]|庄稼|树|苗|菜|花")

SIGNAL_ORDER = (DANGER_THREAT, DANGER_WEAPON, DANGER_VIOLENCE, DANGER_SELF_HARM, ESCALATION, COLLECTIVE, MASS_GROUP)

# A question about the law: liability, sentence, legality, suing, compensation (module docstring).
_LAW_QUESTION = re.compile(
    r"判(?:了)?(?:几|多少|多久|多长|什么)|(?:会|要|能)(?:被)?判|判刑|量刑|缓刑|减刑|坐牢|"
    r"有罪|无罪|犯罪(?:吗|嘛|么|了吗)|什么罪|何罪|构成.{0,6}罪|犯法|违法|合法|"
    r"(?:刑事|法律|民事)责任|负(?:什么|哪些|多大)?责任|承担(?:什么|哪些)?.{0,2}责任|"
    r"(?:怎么|如何|能|可以|该|要求)(?:让对方)?(?:赔|索赔)|赔(?:多少|偿多少)|"
    r"起诉|上诉|诉讼|打官司|立案|法院|律师|法律"
)
# "What do I do" counts only with the violence dated in the past (…两个月了，我该怎么处理).
_WHAT_TO_DO = re.compile(r"怎么办|怎么处理|如何处理|该怎么|怎么维权|如何维权")
_PAST = re.compile(
    r"(?:\d+|[一二两三四五六七八九十几半]+)(?:个)?(?:月|年|星期|礼拜|周)(?:了|前|以前|之前)|"
    r"(?:\d+|[一二两三四五六七八九十几]+)天(?:前|以前|之前)|去年|前年|上个?月|上周|上星期|那天|当时|之前|以前|前几天|年前"
)
# The act is told as done, hypothetical, or a matter of possession or of a sentence, not as going on.
_TOLD = re.compile(
    r"了|过|被|曾|如果|假如|万一|要是|的话|伤口|骨折|受伤|伤情|住院|鉴定|轻伤|重伤|"
    r"持有|私藏|藏有|家里有|购买|买|卖|出售|携带|判|刑|罪"
)
# Anything that may be danger now keeps the danger signals, whatever else the message asks.
_DANGER_NOW = re.compile(
    rf"正在|现在(?!该|应该|怎么|如何|我想|想问|要求|起诉)|此刻|这会儿|眼下|马上|立刻|赶紧|赶快|快来|快点|快救|{_HELP}|来人|"
    r"报警|110|出警|派人|刚|还在|又在|一直在|今天|今晚|今早|昨天|昨晚|夜里|半夜|"
    r"经常|总是|老是|天天|每天|动不动|每次|三天两头|一喝酒|喝了酒就|喝醉了?就|"
    r"扬言|威胁|恐吓|说要|"
    r"(?:要|想|还要|还想|又要|又想|准备|打算|恨不得|非要|非得)(?:去|来|把)?.{0,3}?"
    r"(?:打|杀|砍|捅|弄死|整死|炸|烧|泼|报复|收拾|揍)|"
    r"(?:拿|举|握|提|抄|挥|端|攥|揣)着|堵(?:在|着)|在(?:我|我们|他|她)?家?(?:门口|楼下)|守在|"
    r"流血|见血|血流|昏迷|不省人事|抢救"
)
# 杀人 inside a legal term names a crime, not a threat.
_KILLING_AS_A_LEGAL_TERM = re.compile(r"杀人(?:犯|罪|案|未遂|嫌疑)|(?:故意|过失)杀人")


def _find(text: str, code: str) -> List[Tuple[int, int]]:
    spans: List[Tuple[int, int]] = []
    for rx in _COMPILED[code]:
        for m in rx.finditer(text):
            if m.end() == m.start():
                continue
            if code in _NEGATABLE and _NEGATED.search(text[max(0, m.start() - 5):m.start()]):
                continue
            if code == DANGER_THREAT and m.group().endswith("死") and _ANIMAL_OR_CROP.search(
                text[max(0, m.start() - 6):m.start()]
            ):
                continue
            spans.append((m.start(), m.end()))
    # Overlapping matches become one span (在砸我 + 砸我家门 -> 在砸我家门), in text order.
    kept: List[Tuple[int, int]] = []
    for s, e in sorted(spans):
        if kept and s < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(kept[-1][1], e))
        else:
            kept.append((s, e))
    return kept


def _told_in_a_question_about_the_law(text: str, spans: Dict[str, List[Tuple[int, int]]]) -> bool:
    """Danger words that only tell of violence or a weapon in a question about the law (module docstring)."""
    if not (spans[DANGER_THREAT] or spans[DANGER_WEAPON] or spans[DANGER_VIOLENCE]) or spans[DANGER_SELF_HARM]:
        return False
    for s, e in spans[DANGER_THREAT]:
        if not any(m.start() <= s and e <= m.end() for m in _KILLING_AS_A_LEGAL_TERM.finditer(text)):
            return False
    if _DANGER_NOW.search(text):
        return False
    if not (_TOLD.search(text) or _PAST.search(text)):
        return False
    return bool(_LAW_QUESTION.search(text) or (_WHAT_TO_DO.search(text) and _PAST.search(text)))


def _unique(words: Iterable[str]) -> Tuple[str, ...]:
    return tuple(dict.fromkeys(words))


def detect_signals(text: str, entities: Optional[Sequence[dict]] = None) -> List[Signal]:
    """Risk signals in text, in SIGNAL_ORDER, then people_count:N; entities default to the rule entities."""
    if not text:
        return []
    if entities is None:
        entities = extract_entities(text)
    spans = {code: _find(text, code) for code in SIGNAL_ORDER}
    if _told_in_a_question_about_the_law(text, spans):
        told = spans[DANGER_THREAT] + spans[DANGER_WEAPON] + spans[DANGER_VIOLENCE]
        spans[DANGER_THREAT], spans[DANGER_WEAPON], spans[DANGER_VIOLENCE] = [], [], []
        spans[ESCALATION] = sorted(spans[ESCALATION] + told)
    signals = []
    for code in SIGNAL_ORDER:
        if spans[code]:
            signals.append(Signal(code, _unique(text[s:e] for s, e in spans[code])))
    count = max_people_count(entities)
    has_collective = any(s.code == COLLECTIVE for s in signals)
    if count is not None and (count >= 5 or has_collective):
        words = _unique(
            e["text"] for e in entities
            if e.get("entity") == "people_count" and e.get("value") == count and e.get("text")
        )
        signals.append(Signal(f"{PEOPLE_COUNT_PREFIX}{count}", words))
    return signals


SignalLike = Union[Signal, str, dict]


def signal_codes(signals: Iterable[SignalLike]) -> List[str]:
    """The codes of signals given as Signal objects, dicts or plain code strings."""
    codes = []
    for s in signals or ():
        if isinstance(s, Signal):
            codes.append(s.code)
        elif isinstance(s, dict):
            codes.append(str(s.get("code")))
        else:
            codes.append(str(s))
    return codes


def has_danger(signals: Iterable[SignalLike]) -> bool:
    return any(c.startswith("danger:") for c in signal_codes(signals))


def people_count_from_signals(signals: Iterable[SignalLike]) -> Optional[int]:
    for code in signal_codes(signals):
        if code.startswith(PEOPLE_COUNT_PREFIX):
            try:
                return int(code[len(PEOPLE_COUNT_PREFIX):])
            except ValueError:
                return None
    return None


def warning_level(signals: Iterable[SignalLike], people_count: Optional[int], is_dispute: bool) -> Optional[str]:
    """orange, red, yellow or None for these signals (rules in the module docstring)."""
    codes = set(signal_codes(signals))
    if people_count is None:
        people_count = people_count_from_signals(codes)
    danger = any(c.startswith("danger:") for c in codes)
    escalation = ESCALATION in codes
    level: Optional[str] = None
    if danger or escalation:
        level = "red"
    if COLLECTIVE in codes:
        count = people_count
        if count is None and MASS_GROUP in codes:
            count = 5
        if count is not None and count >= 20:
            level = "orange"
        elif count is not None and count >= 5:
            level = higher_level(level, "orange" if (danger or escalation) else "red")
    if level is None and is_dispute:
        level = "yellow"
    return level

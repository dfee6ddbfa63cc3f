"""Risk signals with their trigger words, and the warning levels they give."""

import pytest

from hotline.triage import Signal, detect_signals, warning_level


def signals_of(text):
    return {s.code: list(s.words) for s in detect_signals(text)}


@pytest.mark.parametrize(
    "text, code, words",
    [
        ("他拿着刀在楼下转", "danger:weapon", ["拿着刀"]),
        ("邻居拿着菜刀在砸我家门", "danger:weapon", ["拿着菜刀"]),
        ("邻居拿着菜刀在砸我家门", "danger:violence_now", ["在砸我家门"]),
        ("他用钢管把我车砸了", "danger:weapon", ["用钢管"]),
        ("他们动刀子了", "danger:weapon", ["动刀子了"]),
        ("他用刀砍了我", "danger:weapon", ["用刀砍"]),
        ("他用刀砍了我", "danger:threat_to_kill", ["砍了我"]),
        ("他砍伤了我", "danger:threat_to_kill", ["砍伤了我"]),
        ("他用枪指着我", "danger:weapon", ["用枪指"]),
        ("我现在被贷款公司软禁了，腿都肿了", "danger:violence_now", ["软禁"]),
        ("他们把我关在屋里不让出去", "danger:violence_now", ["关在屋里不让出"]),
        ("孩子在超市门口被人抱走了", "danger:violence_now", ["孩子在超市门口被人抱走"]),
        ("他把我推下楼梯了", "danger:violence_now", ["把我推下楼梯"]),
        ("女儿发微信说被人关在一个屋子里 不让出来", "danger:violence_now", ["关在一个屋子里 不让出"]),
        ("我喝农药算了", "danger:self_harm", ["喝农药"]),
        ("我真的不想活了", "danger:self_harm", ["不想活了"]),
        ("他说要跳楼", "danger:self_harm", ["跳楼"]),
        ("他们正在打我妈", "danger:violence_now", ["正在打我"]),
        ("有人砸门", "danger:violence_now", ["砸门"]),
        ("两家打起来了", "danger:violence_now", ["打起来了"]),
        ("老公喝了酒就打我", "danger:violence_now", ["打我"]),
        ("救命啊", "danger:violence_now", ["救命"]),
        ("我刚才被人打了，头上流血", "danger:violence_now", ["刚才被人打", "流血"]),
        ("快点派人来，有人在闹事", "danger:violence_now", ["快点派人", "在闹事"]),
        ("他扬言要杀我全家", "danger:threat_to_kill", ["扬言要杀"]),
        ("邻居说要弄死他", "danger:threat_to_kill", ["弄死"]),
        ("邻居说要弄死他", "escalation_risk", ["弄死他"]),
        ("再不给钱我就跟他同归于尽", "escalation_risk", ["同归于尽"]),
        ("我一定让他好看", "escalation_risk", ["让他好看"]),
        ("再这样下去要出人命", "escalation_risk", ["出人命"]),
        ("大不了跟他拼了", "escalation_risk", ["跟他拼了"]),
        ("他威胁我说让我好看", "escalation_risk", ["威胁", "让我好看"]),
        ("双方差点打起来", "escalation_risk", ["差点打起来"]),
        ("大家说要去市政府门口拉横幅", "collective_action", ["市政府门口", "拉横幅"]),
        ("我们准备集体上访", "collective_action", ["集体上访"]),
        ("工人把公司大门堵了，要堵门", "collective_action", ["堵门"]),
        ("业主们联名写信", "collective_action", ["联名"]),
        ("全村人都要去县政府门口静坐", "mass_group", ["全村"]),
        ("二十多个工人在厂门口拉横幅", "people_count:20", ["二十多个工人"]),
    ],
)
def test_signal_and_trigger_words(text, code, words):
    assert signals_of(text).get(code) == words


@pytest.mark.parametrize(
    "text",
    [
        "我们吵了几句，但是没有动手",
        "他没拿刀，就是骂人",
        "动手术以后一直发烧",
        "他老是打我电话骚扰",
        "楼上噪音被打扰了一晚上",
        "商场跳楼价甩卖",
        "他是刀子嘴豆腐心",
        "我打死也不会原谅他",
        "他在打麻将吵死了",
        "我要去法院打官司",
        "工地上的钢管被偷了",
        "我们村集体土地被占了",
        "下水道堵了好几天",
        "我家的鸡被邻居毒死了",
        "上个月跟邻居打架受伤了，医药费花了五千，对方不赔",
        "小区旁边要建垃圾焚烧厂，居民能反对吗",
        # Idioms and legal senses of danger words.
        "信用社扣了我的救命钱抵贷款",
        "这笔钱是他的救命稻草",
        "父亲去世了，他生前写的遗书有效吗",
        "我用剪刀把他家伸过来的树枝剪了",
        "邻居把电动车推到楼道里充电，怕着火",
        "我女儿被她爸带走了，不让我见",
        "我老婆被人拐走了",
    ],
)
def test_no_danger_and_no_collective_action(text):
    codes = set(signals_of(text))
    assert not {c for c in codes if c.startswith("danger:")}
    assert "collective_action" not in codes


def test_people_count_signal_only_when_it_matters():
    assert "people_count:3" not in signals_of("我们三个人一起借的钱")
    assert "people_count:4" in signals_of("我们4个人想去上访")
    assert "people_count:8" in signals_of("我们8个人的工资都没发")


def test_signal_to_dict():
    assert Signal("collective_action", ("拉横幅",)).to_dict() == {"code": "collective_action", "words": ["拉横幅"]}


@pytest.mark.parametrize(
    "codes, people, is_dispute, expected",
    [
        (["collective_action"], 4, True, "yellow"),
        (["collective_action"], 5, True, "red"),
        (["collective_action"], 19, True, "red"),
        (["collective_action"], 20, True, "orange"),
        (["collective_action"], None, True, "yellow"),
        (["collective_action", "mass_group"], None, True, "red"),
        (["collective_action", "escalation_risk"], 6, True, "orange"),
        (["collective_action", "people_count:25"], None, True, "orange"),
        (["escalation_risk"], None, True, "red"),
        (["escalation_risk"], 2, True, "red"),
        (["danger:threat_to_kill"], None, True, "red"),
        (["danger:self_harm"], None, False, "red"),
        ([], None, True, "yellow"),
        ([], 30, True, "yellow"),
        ([], None, False, None),
        (["collective_action"], 3, False, None),
        (["collective_action"], 20, False, "orange"),
    ],
)
def test_warning_level(codes, people, is_dispute, expected):
    assert warning_level(codes, people, is_dispute) == expected
    assert warning_level([Signal(c) for c in codes], people, is_dispute) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我们4个人想去上访", "yellow"),
        ("我们5个人准备去上访", "red"),
        ("二十个人要去上访", "orange"),
        ("老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "orange"),
        ("十几户村民要去镇政府门口拉横幅", "red"),
        ("几十个人要去上访", "orange"),
        ("楼上天天吵，我真想跟他拼了", "red"),
        ("楼上天天吵", "yellow"),
    ],
)
def test_warning_level_from_text(text, expected):
    from hotline.triage.entities import extract_entities, people_count

    entities = extract_entities(text)
    assert warning_level(detect_signals(text, entities), people_count(entities), True) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("别人先动手的，我还手把他鼻子打破了，会判刑吗", ["动手"]),
        ("故意杀人罪一般判几年", ["杀人"]),
        ("朋友持刀抢劫被抓了，大概判多少年", ["持刀", "抢劫"]),
        ("家里私藏了一把气枪，这个犯法吗", ["气枪"]),
        ("被人殴打了，对方要负什么责任", ["殴打"]),
        ("上个月邻居打我，我该怎么处理", ["打我"]),
    ],
)
def test_violence_told_in_a_question_about_the_law_is_escalation_not_danger(text, words):
    codes = signals_of(text)
    assert not [c for c in codes if c.startswith("danger:")]
    assert codes["escalation_risk"] == words
    assert warning_level(detect_signals(text), None, False) == "red"


@pytest.mark.parametrize(
    "text, code",
    [
        ("他拿着刀在我家门口，这犯法吗", "danger:weapon"),
        ("他正在打我，犯法吗", "danger:violence_now"),
        ("老公天天打我，家暴犯法吗", "danger:violence_now"),
        ("他说要杀了我，这算犯罪吗", "danger:threat_to_kill"),
        ("我想杀了他，判几年", "danger:threat_to_kill"),
        ("打死人判几年", "danger:threat_to_kill"),
        ("救命，他打我，犯法吗", "danger:violence_now"),
        ("他刚才打我了 能起诉吗", "danger:violence_now"),
        ("他打我了可以报警吗", "danger:violence_now"),
        ("他砸我家门，违法吗", "danger:violence_now"),
        ("邻居打我，我该怎么处理", "danger:violence_now"),
        ("不想活了，自杀违法吗", "danger:self_harm"),
        ("他以前打过我，现在又拿着刀来了，能起诉吗", "danger:weapon"),
    ],
)
def test_a_question_about_the_law_with_danger_now_keeps_the_danger(text, code):
    assert code in signals_of(text)



@pytest.mark.parametrize("text", ["他刚拿刀砍了我，能起诉吗", "昨晚我老公拿刀砍我，我想起诉离婚", "今天他拿刀砍伤了我爸，会判几年"])
def test_a_fresh_assault_told_in_a_question_about_the_law_is_still_danger_now(text):
    assert any(s.code.startswith("danger") for s in detect_signals(text)), text

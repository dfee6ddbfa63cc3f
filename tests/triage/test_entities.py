"""Rule entities: values, spans and offsets; PII masking and ID checksums."""

import pytest

from hotline.triage import extract_entities, is_valid_id_number, mask_pii


def found(text, kind):
    return [(e["value"], e["text"]) for e in extract_entities(text) if e["entity"] == kind]


@pytest.mark.parametrize(
    "text",
    [
        "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅",
        "我住在城关镇幸福村三组，隔壁村十几户人家，电话13812345678",
        "阳光花园小区3栋2单元的物业费一年两千五，押金1.2万",
        "身份证11010519491231002X，欠了一年半，一共三万多块",
    ],
)
def test_offsets_match_the_text(text):
    entities = extract_entities(text)
    assert entities
    for e in entities:
        assert set(e) == {"entity", "value", "text", "start", "end"}
        assert text[e["start"]:e["end"]] == e["text"]
    assert [e["start"] for e in entities] == sorted(e["start"] for e in entities)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("老板拖欠我们二十多个人三个月工资", [(20, "二十多个人")]),
        ("我们二十多人一起去的", [(20, "二十多人")]),
        ("隔壁十几户都被淹了", [(10, "十几户")]),
        ("五六十号人堵在厂门口", [(50, "五六十号人")]),
        ("全村一百多口人的地被占了", [(100, "一百多口人")]),
        ("我们三家的地界一直说不清", [(3, "三家")]),
        ("工地上十几个农民工", [(10, "十几个农民工")]),
        ("三十多名员工没拿到钱", [(30, "三十多名员工")]),
        ("他们一共20多人", [(20, "20多人")]),
        ("村里几十户人家", [(20, "几十户人家")]),
        ("第三个人说的", []),
        ("三家公司都不管", []),
        ("他家两口子天天吵", []),
    ],
)
def test_people_count(text, expected):
    assert found(text, "people_count") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("一共三万多块", [(30000, "三万多块")]),
        ("说好给3万元", [(30000, "3万元")]),
        ("老板欠我30000", [(30000, "30000")]),
        ("工资三千五一个月", [(3500, "三千五")]),
        ("每个月才两千五", [(2500, "两千五")]),
        ("他借了我5千", [(5000, "5千")]),
        ("借了他八百块钱", [(800, "八百块钱")]),
        ("押金1.2万", [(12000, "1.2万")]),
        ("装修花了十几万", [(100000, "十几万")]),
        ("月租2500", [(2500, "2500")]),
        ("欠了1,200元", [(1200, "1,200元")]),
        ("给了万把块", [(10000, "万把块")]),
        ("我的电话13812345678", []),
        ("2023年3月5号借的", []),
        ("打了12345也没人管", []),
        ("我今年45岁", []),
        ("房子120平", []),
        ("三块地被占了", []),
        ("千万别这样", []),
        ("他车牌是浙A12345", []),
        ("赔偿比例30%", []),
        ("下午三点来的", []),
    ],
)
def test_amount(text, expected):
    assert found(text, "amount") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("拖了三个月", [({"amount": 3, "unit": "month", "days": 90}, "三个月")]),
        ("半年没发工资", [({"amount": 0.5, "unit": "year", "days": 182}, "半年")]),
        ("已经两年多了", [({"amount": 2, "unit": "year", "days": 730}, "两年多")]),
        ("拖了十几天", [({"amount": 10, "unit": "day", "days": 10}, "十几天")]),
        ("说好一个礼拜还", [({"amount": 1, "unit": "week", "days": 7}, "一个礼拜")]),
        ("欠了一年半", [({"amount": 1.5, "unit": "year", "days": 548}, "一年半")]),
        ("三个多月了", [({"amount": 3, "unit": "month", "days": 90}, "三个多月")]),
        ("一个半月", [({"amount": 1.5, "unit": "month", "days": 45}, "一个半月")]),
        ("在这里干了20年", [({"amount": 20, "unit": "year", "days": 7300}, "20年")]),
        ("三月五号借的", []),
        ("孩子上三年级", []),
        ("2019年借的", []),
    ],
)
def test_duration(text, expected):
    assert found(text, "duration") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我住在城关镇幸福村", ["城关镇幸福村"]),
        ("阳光花园小区3栋的楼上漏水", ["阳光花园小区3栋"]),
        ("我在解放路128号开店", ["解放路128号"]),
        ("家住幸福里社区5号楼", ["幸福里社区5号楼"]),
        ("老家在河南省周口市太康县", ["河南省周口市太康县"]),
        ("他在人民路与建设路交叉口闯红灯", ["人民路", "建设路"]),
        ("城关街道的人来过", ["城关街道"]),
        ("我是幸福村三组的", ["幸福村三组"]),
        ("在超市买的东西坏了", []),
        ("在农村老家盖房子", []),
        ("下班路上被车撞了", []),
        ("我们小区的物业不管事", []),
        ("隔壁村的人来闹", []),
        ("村里的路灯坏了", []),
        ("要去市政府门口拉横幅", []),
    ],
)
def test_location(text, expected):
    assert [text for _, text in found(text, "location")] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("老板拖欠工资", [("employer", "老板")]),
        ("包工头跑了", [("employer", "包工头")]),
        ("厂里不给交社保", [("employer", "厂里")]),
        ("楼上邻居天天吵", [("neighbor", "楼上邻居")]),
        ("房东不退押金", [("landlord", "房东")]),
        ("物业公司乱收费", [("property_company", "物业公司")]),
        ("医院的医生误诊", [("hospital", "医院"), ("hospital", "医生")]),
        ("前夫不给抚养费", [("ex_spouse", "前夫")]),
        ("我老公打我", [("spouse", "老公")]),
        ("婆婆和媳妇吵架", [("relative", "婆婆"), ("spouse", "媳妇")]),
        ("儿子不赡养老人", [("relative", "儿子")]),
        ("村委会不管", [("village_committee", "村委会")]),
        ("开发商延期交房", [("developer", "开发商")]),
        ("商家不给退货", [("merchant", "商家")]),
        ("学校乱收费，老师也不管", [("school", "学校"), ("school", "老师")]),
        ("对方司机跑了", [("other_driver", "对方司机")]),
    ],
)
def test_party(text, expected):
    assert found(text, "party") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的电话13812345678", [("13812345678", "13812345678")]),
        ("打138-1234-5678找我", [("13812345678", "138-1234-5678")]),
        ("手机+86 13912345678", [("13912345678", "13912345678")]),
        ("座机0571-88889999", [("057188889999", "0571-88889999")]),
        ("北京010-12345678", [("01012345678", "010-12345678")]),
        ("电话是88889999", [("88889999", "88889999")]),
        ("欠了12345678元", []),
        ("编号123456789012", []),
    ],
)
def test_phone(text, expected):
    assert found(text, "phone") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("身份证11010519491231002X", [("11010519491231002X", "11010519491231002X")]),
        ("身份证号11010519491231002x。", [("11010519491231002X", "11010519491231002x")]),
        ("号码440304198808123215", [("440304198808123215", "440304198808123215")]),
        ("老身份证110105491231002", [("110105491231002", "110105491231002")]),
        ("号码440304198808123210", []),  # checksum wrong
        ("号码440304198813123215", []),  # month 13
    ],
)
def test_id_number(text, expected):
    assert found(text, "id_number") == expected


@pytest.mark.parametrize(
    "value, valid",
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("440304198808123215", True),
        ("320106199502280014", True),
        ("510107200002291232", True),  # 29 Feb 2000
        ("440304198808123210", False),
        ("320106199502290014", False),  # no 29 Feb 1995
        ("11010519491231002", False),
        ("110105491231002", True),
        ("110105491331002", False),
        ("abc", False),
    ],
)
def test_id_checksum(value, valid):
    assert is_valid_id_number(value) is valid


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的电话13812345678", "我的电话138****5678"),
        ("打138-1234-5678找我", "打138-****-5678找我"),
        ("身份证11010519491231002X", "身份证110105********002X"),
        ("老证110105491231002", "老证110105*****1002"),
        ("座机0571-88889999", "座机0571-****9999"),
        ("卡号6222021234567890123", "卡号622202*********0123"),
        ("号码440304198808123210", "号码440304********3210"),
        ("老板欠我三万块，拖了三个月", "老板欠我三万块，拖了三个月"),
        ("电话13812345678，身份证440304198808123215", "电话138****5678，身份证440304********3215"),
    ],
)
def test_mask_pii(text, expected):
    assert mask_pii(text) == expected


def test_empty_text_has_no_entities():
    assert extract_entities("") == []


@pytest.mark.parametrize("text, count", [
    ("我们二十多个兄弟在工地干了半年", 20),
    ("我们三兄弟", 3),
    ("三十多号人", 30),
    ("一家三口", 3),
])
def test_counted_groups_are_people_not_relatives(text, count):
    from hotline.triage.entities import people_count

    found = extract_entities(text)
    assert people_count(found) == count
    assert not [e for e in found if e["entity"] == "party" and e["value"] == "relative"]


@pytest.mark.parametrize("text", ["一家老小都被赶出来了", "我们一家人没地方住", "全家都被打了"])
def test_a_household_of_unknown_size_is_no_head_count(text):
    from hotline.triage.entities import people_count

    assert people_count(extract_entities(text)) is None


def test_a_brother_on_his_own_is_still_a_relative():
    assert [e["value"] for e in extract_entities("我兄弟被打了") if e["entity"] == "party"] == ["relative"]

"""Synthetic data for the simulated bank's traffic: pools and value makers.

Everything here is made up: company names are built from syllable and industry pools,
personal names from common surnames and given-name characters, identifiers are computed
(valid check characters on random bodies; region codes are public administrative division
codes). No real person, company, ID, card or phone number is in this file.

:class:`Maker` draws every value from the ``random.Random`` it is given, never from the
global generator, so a seed fixes the whole day of traffic. Each ``bad_*`` method returns a
value that breaks one production rule on purpose.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from harness.sim.checks import CREDIT_ALPHABET, credit_code_check, id_number_check, luhn_check

# (address prefix, administrative division code, city)
REGIONS = (
    ("上海市浦东新区", "310115", "上海"),
    ("上海市徐汇区", "310104", "上海"),
    ("北京市朝阳区", "110105", "北京"),
    ("北京市海淀区", "110108", "北京"),
    ("深圳市南山区", "440305", "深圳"),
    ("深圳市福田区", "440304", "深圳"),
    ("广州市天河区", "440106", "广州"),
    ("杭州市西湖区", "330106", "杭州"),
    ("南京市鼓楼区", "320106", "南京"),
    ("苏州市吴中区", "320506", "苏州"),
    ("成都市武侯区", "510107", "成都"),
    ("武汉市江汉区", "420103", "武汉"),
    ("天津市河西区", "120103", "天津"),
    ("重庆市渝北区", "500112", "重庆"),
    ("西安市雁塔区", "610113", "西安"),
    ("厦门市思明区", "350203", "厦门"),
    ("宁波市鄞州区", "330212", "宁波"),
    ("青岛市市南区", "370202", "青岛"),
    ("合肥市蜀山区", "340104", "合肥"),
    ("长沙市岳麓区", "430104", "长沙"),
)
BRAND_CHARS = "华瑞宏鑫恒泰盛达信诚源丰佳汇通博新远安康德隆创联智星晨峰嘉锦和润启昌"
INDUSTRIES = (
    "科技",
    "贸易",
    "供应链管理",
    "商贸",
    "物流",
    "电子",
    "实业",
    "信息技术",
    "建材",
    "食品",
    "医疗器械",
    "新能源",
    "环保科技",
    "国际货运代理",
    "餐饮管理",
    "文化传媒",
    "机械设备",
    "化工",
)
SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")
PAREN_REGIONS = ("中国", "中国", "中国", "上海", "深圳", "北京", "广州", "杭州")
ROADS = (
    "张江路",
    "科苑路",
    "建国路",
    "中山路",
    "人民路",
    "解放路",
    "世纪大道",
    "南京西路",
    "天府大道",
    "滨江路",
    "长江路",
    "黄河路",
    "新华路",
    "和平路",
    "文三路",
    "学院路",
    "高新南路",
    "金融街",
)
SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
    "罗",
    "高",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
    "彭",
    "曾",
    "肖",
    "田",
    "董",
    "潘",
    "袁",
    "蔡",
    "蒋",
    "余",
    "于",
    "杜",
    "叶",
    "程",
    "魏",
    "苏",
    "吕",
    "丁",
    "任",
    "卢",
    "姚",
    "沈",
    "钟",
    "姜",
    "崔",
    "谭",
    "陆",
    "范",
    "汪",
    "廖",
    "石",
    "金",
    "韦",
    "贾",
    "夏",
    "方",
    "邹",
    "熊",
    "白",
    "孟",
    "秦",
    "邱",
    "侯",
    "江",
    "尹",
    "薛",
    "段",
    "雷",
    "龙",
    "黎",
    "欧阳",
    "司马",
    "上官",
)
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏宇浩婷雪琳晨欣怡子涵梓轩博思雨佳嘉俊凯志海峰斌云飞龙鑫"
# Characters outside GB 2312 that people really have in their names (two outside GBK too).
RARE_CHARS = "䶮𠇔喆堃犇昇赟玥珺彧祎"
SCOPES = (
    "技术开发、技术咨询、技术服务",
    "货物进出口、技术进出口",
    "供应链管理服务；国内贸易代理",
    "日用百货、五金交电、电子产品的销售",
    "道路货物运输；仓储服务（不含危险化学品）",
    "医疗器械经营；第二类医疗器械销售",
    "餐饮管理；食品经营",
)
REMARKS = ("货款", "服务费结算", "工资发放", "往来款", "房租", "报销款", "", "", "")
PURPOSES = (("货款", 40), ("服务费", 20), ("工资", 15), ("往来款", 15), ("租金", 6), ("报销款", 4))
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
MERCHANTS = ("M10020001", "M10020002", "M10020017", "M10035008", "M10041120", "M10050333")


class Maker:
    """Synthetic field values drawn from one random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # companies and places
    def company(self, parens: str = "（）") -> str:
        """A company name; about 60% carry a parenthesized region, written with ``parens``."""
        r = self.rng
        region = r.choice(REGIONS)
        brand = "".join(r.sample(BRAND_CHARS, 2))
        industry, suffix = r.choice(INDUSTRIES), r.choice(SUFFIXES)
        form = r.random()
        left, right = parens[0], parens[1]
        if form < 0.35:
            return f"{brand}{left}{r.choice(PAREN_REGIONS)}{right}{industry}{suffix}"
        if form < 0.6:
            return f"{brand}{industry}{left}{region[2]}{right}{suffix}"
        return f"{region[2]}{brand}{industry}{suffix}"

    def company_with_parens(self, parens: str) -> str:
        while True:
            name = self.company(parens)
            if parens[0] in name:
                return name

    def address(self) -> str:
        r = self.rng
        building = r.choice(
            (f"{r.randint(1, 12)}号楼", f"{r.randint(1, 9)}栋", f"{r.choice('甲乙丙丁')}座", "")
        )
        return f"{r.choice(REGIONS)[0]}{r.choice(ROADS)}{r.randint(1, 999)}号{building}{r.randint(1, 30)}{r.randint(1, 20):02d}室"

    def scope(self) -> str:
        r = self.rng
        return "；".join(r.sample(SCOPES, r.randint(1, 3)))

    # people
    def person(self) -> str:
        r = self.rng
        return r.choice(SURNAMES) + "".join(
            r.choice(GIVEN_CHARS) for _ in range(r.choice((1, 2, 2)))
        )

    def id_number(self) -> str:
        r = self.rng
        born = date(1960, 1, 1) + timedelta(days=r.randrange(365 * 40))
        body = f"{r.choice(REGIONS)[1]}{born:%Y%m%d}{r.randrange(1000):03d}"
        return body + id_number_check(body)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    # identifiers
    def credit_code(self) -> str:
        r = self.rng
        body = "91" + r.choice(REGIONS)[1] + "".join(r.choice(CREDIT_ALPHABET) for _ in range(9))
        return body + credit_code_check(body)

    def card(self) -> str:
        r = self.rng
        # UnionPay cards: "62", 13 or 16 more digits, the Luhn check: 16 or 19 digits in all.
        body = "62" + "".join(str(r.randrange(10)) for _ in range(r.choice((13, 16))))
        return body + luhn_check(body)

    # money
    def amount(self) -> str:
        r = self.rng
        lo, hi = r.choices(
            ((1, 5_000), (5_000, 200_000), (200_000, 3_000_000)), weights=(55, 35, 10)
        )[0]
        cents = r.randrange(lo * 100, hi * 100)
        return f"{cents // 100}.{cents % 100:02d}"

    def purpose(self) -> str:
        return self.rng.choices([p for p, _ in PURPOSES], weights=[w for _, w in PURPOSES])[0]

    def remark(self) -> str:
        r = self.rng
        return r.choice((*REMARKS, f"{r.randint(1, 12)}月货款", f"合同款第{r.randint(1, 6)}期"))

    # values that break a production rule on purpose
    def bad_company_letters(self) -> str:
        r = self.rng
        letters = "".join(r.choice("ABCDEFGHKLMNPRSTX") for _ in range(r.randint(2, 4)))
        return f"{letters}{r.choice(INDUSTRIES)}{r.choice(SUFFIXES)}"

    def bad_company_too_long(self) -> str:
        r = self.rng
        region = r.choice(REGIONS)
        name = f"{region[0]}{''.join(r.sample(BRAND_CHARS, 4))}{r.choice(INDUSTRIES)}{r.choice(INDUSTRIES)}"
        return f"{name}发展集团{r.choice(SUFFIXES)}" + "分公司" * 4

    def bad_address(self) -> str:
        r = self.rng
        prefix = f"{r.choice(REGIONS)[0]}{r.choice(ROADS)}{r.randint(1, 999)}号"
        return prefix + r.choice(
            (
                f"{r.choice('ABCD')}座{r.randint(1, 30)}{r.randint(1, 20):02d}室",
                f"{r.choice('AB')}{r.randint(1, 9)}栋{r.randint(1, 30)}{r.randint(1, 20):02d}室",
                f"{r.randint(1, 12)}号楼Room {r.randint(1, 30)}{r.randint(1, 20):02d}",
            )
        )

    def rare_person(self) -> str:
        r = self.rng
        given = r.choice(RARE_CHARS) + (r.choice(GIVEN_CHARS) if r.random() < 0.5 else "")
        return r.choice(SURNAMES) + given

    def bad_mobile(self) -> str:
        good = self.mobile()
        return self.rng.choice(
            (
                good[:-1],
                good + str(self.rng.randrange(10)),
                "+86" + good,
                f"{good[:3]}-{good[3:7]}-{good[7:]}",
                "12" + good[2:],
            )
        )

    def bad_check(self, value: str, alphabet: str) -> str:
        """``value`` with its last (check) character replaced by another from ``alphabet``."""
        return value[:-1] + self.rng.choice([c for c in alphabet if c != value[-1]])

    def bad_amount_precision(self) -> str:
        return f"{self.amount()}{self.rng.randrange(1, 10)}"

    def bad_amount_range(self) -> str:
        return self.rng.choice(("0.00", "5000000.01", "8800000.00", "12000000.00"))

    def bad_remark_spaces(self) -> str:
        r = self.rng
        text = r.choice(("货款", "服务费结算", f"{r.randint(1, 12)}月货款"))
        return r.choice((f" {text}", f"{text} ", f" {text} ", f"{text}\u3000"))

    def bad_remark_too_long(self) -> str:
        r = self.rng
        return f"{r.randint(1, 12)}月份采购合同项下第{r.randint(1, 6)}期货款支付含运输费保险费及相关税费请查收并确认"

"""Personal data the sanitizer finds without a plan: by field name and by value.

Pure: names in, booleans out. Used by :mod:`harness.sanitize`.

**By field name** (:func:`personal_field`). The field's last name (``payer.fullName`` ->
``fullName``) is folded to lower-case letters and digits (``Payer_Full-Name`` ->
``payerfullname``) and matched against:

- English words and common API conventions for people, their names, addresses and
  contacts, as the *end* of the name: ``name`` (``enterpriseName``, ``acct_name``,
  ``surname``), ``holder``, ``payer``, ``payee``, ``remitter``, ``beneficiary``,
  ``debtor``, ``creditor``, ``recipient``, ``receiver``, ``owner``, ``applicant``,
  ``contact``, ``person``, ``representative``, ``signatory``, ``address``, ``addr``,
  ``street``, ``residence``, ``domicile``, ``mobile``, ``phone``, ``tel``, ``email``,
  ``fax``, ``birthday``, ``birthdate``, ``passport``; except names of things, not people
  (``fileName``, ``bankName``, ``branchName``, ``productName``, ``hostName``...);
- Chinese words anywhere in the name: 姓名 名称 户名 地址 住址 联系人 电话 手机 法人 收款人
  付款人 汇款人 持卡人 开户名 邮箱;
- pinyin abbreviations, as the end of a short name (at most 6 characters: ``khmc``,
  ``fkrmc``, ``frxm``): ``xm`` (xingming), ``hm`` (huming), ``mc`` (mingcheng), ``dz``
  (dizhi), ``lxr`` (lianxiren), ``dh`` (dianhua), ``sjh`` (shoujihao), ``skr``/``fkr``
  (shou/fu kuanren).

**By value**:

- :func:`looks_like_cjk_name`: 2 to 4 CJK ideographs (a ``·`` allowed between given and
  family names of minority names) starting with a common Chinese surname (single, or
  compound such as 欧阳 司马 诸葛), and holding none of the characters that make status
  and category words (成功, 信用卡, 关闭, 申请中 are not names);
- :func:`looks_like_address`: CJK text of at least 6 characters with a street-level
  marker (路 街 道 巷 弄 号 村 栋 幢 楼 室) and a second administrative or street marker; or
  Latin text with a house number next to a street word (``12 Baker Street``,
  ``Musterstraße 5``, ``rue de Rivoli 99``).

**Secret headers** (:func:`secret_header`): a header name with a part (split at ``-``,
``_`` and case changes) that is or starts like token, secret, key, sign(ature), session,
password, auth, cookie, credential, otp, csrf/xsrf, jwt, bearer.

All checks run in time linear in the input and look at bounded prefixes of long values.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "looks_like_address",
    "looks_like_cjk_name",
    "personal_field",
    "secret_header",
]

_PERSONAL_SUFFIXES = (
    "name",
    "holder",
    "payer",
    "payee",
    "remitter",
    "beneficiary",
    "debtor",
    "creditor",
    "recipient",
    "receiver",
    "owner",
    "applicant",
    "contact",
    "person",
    "representative",
    "signatory",
    "address",
    "addr",
    "street",
    "residence",
    "domicile",
    "mobile",
    "mobileno",
    "phone",
    "phoneno",
    "tel",
    "telno",
    "telephone",
    "email",
    "fax",
    "birthday",
    "birthdate",
    "passport",
    "passportno",
)
# Names of things, not people (a "name" suffix after them is not personal).
_THING_NAMES = (
    "filename",
    "hostname",
    "pathname",
    "bankname",
    "branchname",
    "productname",
    "servicename",
    "methodname",
    "appname",
    "channelname",
    "fieldname",
    "typename",
    "classname",
    "keyname",
    "tablename",
    "currencyname",
    "countryname",
    "provincename",
    "cityname",
    "districtname",
    "eventname",
    "templatename",
    "algname",
    "algorithmname",
    "signname",
    "tagname",
    "attrname",
    "paramname",
    "itemname",
    "goodsname",
    "subject",
    "statusname",
    "codename",
)
_CJK_FIELD_WORDS = (
    "姓名",
    "名称",
    "户名",
    "地址",
    "住址",
    "联系人",
    "电话",
    "手机",
    "法人",
    "收款人",
    "付款人",
    "汇款人",
    "持卡人",
    "开户名",
    "邮箱",
)
_PINYIN_SUFFIXES = ("xm", "hm", "mc", "dz", "lxr", "dh", "sjh", "sjhm", "skr", "fkr", "hkr")
_PINYIN_MAX = 6
_FOLD = re.compile(r"[^0-9a-z\u3400-\u9fff]")


@lru_cache(maxsize=4096)
def personal_field(name: str) -> bool:
    """True when a field (or header, or query parameter) named ``name`` holds personal data.

    ``name`` is a field's last name (no path); see the module docstring for the words.
    """
    folded = _FOLD.sub("", name[:128].lower())
    if not folded:
        return False
    if any(word in folded for word in _CJK_FIELD_WORDS):
        return True
    if folded.endswith(_THING_NAMES):
        return False
    if folded.endswith(_PERSONAL_SUFFIXES):
        return True
    return len(folded) <= _PINYIN_MAX and folded.endswith(_PINYIN_SUFFIXES)


# The most frequent Chinese surnames (single characters), and the compound ones.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳"
    "甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解"
    "牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边"
    "卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗"
    "燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索"
    "宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉"
    "银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "万俟",
        "澹台",
        "公冶",
        "太史",
        "申屠",
        "闻人",
        "第五",
        "拓跋",
        "赫连",
        "司空",
    }
)
# Characters of status, category and business words that personal names do not use.
_NOT_IN_NAMES = frozenset(
    "功败额卡闭请核户销码号款账业务态型类效否省市县街银币限证件结冻失误错票据融资贷借汇收退转充现息税率值"
    "量数态式份批次审签约订购售货物品网站系统接口参返回处办已未待止停启用禁取消通知告警示测试验"
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+(?:·[\u3400-\u4dbf\u4e00-\u9fff]+)?")


def looks_like_cjk_name(value: str) -> bool:
    """True for a whole value that reads as a Chinese personal name (see module doc)."""
    n = len(value)
    if n < 2 or n > 9 or not _CJK.fullmatch(value):
        return False
    bare = value.replace("·", "")
    if "·" in value:  # minority names transliterated: 2 to 8 characters with a dot
        return 3 <= len(bare) <= 8 and not (_NOT_IN_NAMES & set(bare))
    if n > 4 or _NOT_IN_NAMES & set(bare):
        return False
    if bare[:2] in _COMPOUND_SURNAMES:
        return n >= 3
    return bare[0] in _SURNAMES


_STREET_MARKS = frozenset("路街道巷弄号村栋幢楼室")
_AREA_MARKS = frozenset("省市区县镇乡")
_LATIN_ADDRESS = re.compile(
    r"\b[0-9]{1,5}[A-Za-z]?,?\s+(?:[^\W\d_][\w.'\-]*\s+){0,4}"
    r"(?:street|st|road|rd|avenue|ave|lane|ln|boulevard|blvd|drive|dr|way|court|ct|place|pl|"
    r"square|sq|terrace|close|crescent|highway|hwy)\b\.?"
    r"|[^\W\d_]{2,}(?:stra(?:ss|ß)e|str\.|gasse|weg|allee|platz|plein|laan|straat|vej|gatan|gata)"
    r"\s*[0-9]{1,5}"
    r"|\b(?:rue|avenue|av\.|boulevard|bd|via|viale|piazza|calle|avenida|rua|praça|chemin|"
    r"place|plaza|carrer|ulica|ul\.)\s+(?:[^\W\d_][\w.'\-]*\s+){0,5}[0-9]{1,5}\b"
    r"|\b[0-9]{1,5},?\s+(?:rue|avenue|boulevard|bd|via|viale|calle|avenida|rua|chemin|"
    r"place|plaza|carrer)\b",
    re.IGNORECASE,
)
_ADDRESS_SCAN = 256  # characters looked at: an address is short


def looks_like_address(value: str) -> bool:
    """True for a value that holds a postal address (see module doc)."""
    head = value[:_ADDRESS_SCAN]
    if len(head) >= 6 and not head.isascii():
        chars = set(head)
        street = chars & _STREET_MARKS
        if street and len(street) + len(chars & _AREA_MARKS) >= 2:
            return True
    return any(c.isdigit() for c in head) and _LATIN_ADDRESS.search(head) is not None


_SECRET_WORDS = (
    "token",
    "secret",
    "key",
    "apikey",
    "sign",
    "signature",
    "sig",
    "session",
    "sessionid",
    "sid",
    "password",
    "passwd",
    "pwd",
    "auth",
    "cookie",
    "credential",
    "credentials",
    "otp",
    "csrf",
    "xsrf",
    "jwt",
    "bearer",
    "ticket",
)
_SECRET_PREFIXES = ("auth", "passw", "secret", "token", "signat", "credential", "session")
_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@lru_cache(maxsize=4096)
def secret_header(name: str) -> bool:
    """True when a header named ``name`` carries a secret by its name (see module doc)."""
    parts = [p.lower() for p in _PARTS.findall(name[:128])]
    return any(p in _SECRET_WORDS or p.startswith(_SECRET_PREFIXES) for p in parts)

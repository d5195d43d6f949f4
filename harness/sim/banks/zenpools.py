"""Synthetic values for zenginbank's traffic: Japanese names, companies, places, bank codes.

Names are combined at random from common surnames and given names; companies from invented
stems and trades; addresses from prefectures, wards and block numbers. Bank codes are
public institution identifiers, not accounts. Kana pools are written in full-width
katakana, as people write them; :func:`halfwidth` gives the half-width form and
:func:`zengin` the form a Zengin transfer takes (small kana written large, the long-vowel
mark as a hyphen).
"""

from __future__ import annotations

import unicodedata

# Full-width katakana -> half-width, built from Unicode's own compatibility mappings.
_TO_HALF: dict[str, str] = {}
for _code in range(0xFF61, 0xFFA0):
    _half = chr(_code)
    _TO_HALF.setdefault(unicodedata.normalize("NFKC", _half), _half)
    for _mark in "ﾞﾟ":
        _full = unicodedata.normalize("NFKC", _half + _mark)
        if len(_full) == 1:
            _TO_HALF.setdefault(_full, _half + _mark)
_TO_HALF["ヴ"] = "ｳﾞ"
_TO_HALF["\u3000"] = " "
_SMALL_TO_LARGE = str.maketrans("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ")
SMALL_KANA = "ｧｨｩｪｫｬｭｮｯ"


def halfwidth(text: str) -> str:
    """Full-width katakana (and the ideographic space) to half-width; the rest unchanged."""
    return "".join(_TO_HALF.get(c, c) for c in text)


def zengin(text: str) -> str:
    """The Zengin form of a half-width or full-width kana name: small kana large, ｰ as -."""
    return halfwidth(text).translate(_SMALL_TO_LARGE).replace("ｰ", "-")


SURNAMES = (
    "サトウ", "スズキ", "タカハシ", "タナカ", "ワタナベ", "イトウ", "ヤマモト", "ナカムラ",
    "コバヤシ", "カトウ", "ヨシダ", "ヤマダ", "ササキ", "ヤマグチ", "マツモト", "イノウエ",
    "キムラ", "ハヤシ", "シミズ", "ヤマザキ", "モリ", "アベ", "イケダ", "ハシモト", "ヤマシタ",
    "イシカワ", "ナカジマ", "マエダ", "フジタ", "オガワ", "ゴトウ", "オカダ", "ハセガワ",
    "ムラカミ", "コンドウ", "イシイ", "サイトウ", "サカモト", "エンドウ", "アオキ", "ショウジ",
    "チョウ", "リュウ", "ジョウ", "キョウゴク",
)  # fmt: skip
GIVEN = (
    "タロウ", "ハナコ", "ケンジ", "ユウキ", "アヤカ", "タクヤ", "マイ", "ダイスケ", "ミサキ",
    "カズヤ", "ナオキ", "ユイ", "サクラ", "ハルト", "リン", "ソウタ", "メグミ", "ヒロシ",
    "アキラ", "カオリ", "ショウタ", "リョウコ", "キョウコ", "ジュン", "テッペイ", "シュンスケ",
    "チヒロ", "ユウト", "ヒナタ", "リョウ", "ジョウジ", "キョウヘイ",
)  # fmt: skip
FOREIGN = (
    ("スミス", "ジョン"),
    ("ブラウン", "エミリー"),
    ("キム", "ミンジュン"),
    ("グエン", "バン"),
)
STEMS = (
    "ミドリ", "サクラ", "アオゾラ", "ヒカリ", "フジ", "ミライ", "ニホン", "トウキョウ", "オオサカ",
    "ヤマト", "ハヤブサ", "ツバサ", "ホクト", "アサヒ", "ナミキ", "カエデ",
)  # fmt: skip
TRADES = (
    "ショウジ", "ケンセツ", "サンギョウ", "フドウサン", "コウギョウ", "デンキ", "システム", "ソフト",
    "ウンユ", "ブツリュウ", "ショクヒン", "コウム", "セイサクショ", "イリョウ", "ボウエキ",
)  # fmt: skip
LATIN_STEMS = ("ABC", "NTK", "JS", "IT", "KDM", "A1")
# Zengin abbreviations of legal forms: 株式会社 ｶ, 有限会社 ﾕ, 合同会社 ﾄﾞ, 医療法人 ｲ, 一般社団法人 ｼﾔ.
FORMS = (("ｶ", 70), ("ﾕ", 15), ("ﾄﾞ", 8), ("ｲ", 4), ("ｼﾔ", 3))
# Words an edge day adds: digits, slash, dot, hyphen, parentheses, and ｦ (what few names show).
EDGE_WORDS = (
    "ﾀﾞｲ2", "ﾄｳｷﾖｳｼﾃﾝ", "ｴｲｷﾞﾖｳﾌﾞ", "ﾐﾗｲｦﾂｸﾙ", "ﾎﾝｼﾔ/ｹｲﾘ", "NO.3", "ｺｳｼﾞﾖｳ-7", "(ﾎﾝﾃﾝ)",
    "ｷﾖｳｿｳ", "ﾌﾟﾛｼﾞｴｸﾄ", "ﾋﾟｱﾉｷﾖｳｼﾂ", "ｾﾝﾀ-", "2024", "J.S.", "ﾊﾟ-ﾄﾅ-ｽﾞ",
)  # fmt: skip

KANJI_SURNAMES = (
    "佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "山本", "中村", "小林", "加藤", "吉田", "山田",
    "佐々木", "山口", "松本", "井上", "木村", "林", "清水", "山崎", "森", "阿部", "池田", "橋本",
)  # fmt: skip
KANJI_GIVEN = (
    "太郎", "花子", "健二", "優希", "彩花", "拓也", "舞", "大輔", "美咲", "和也", "直樹", "結衣",
    "さくら", "陽翔", "凛", "蒼太", "恵", "博", "明", "香織",
)  # fmt: skip
# In JIS X 0208 but rarely seen (level-2 kanji, full-width letters): valid, for edge days.
KANJI_RARE = ("邊見", "齋藤", "齊藤", "渡邉", "鷲尾", "ＡＢＣ", "蘆田", "釜萢", "纐纈")
# Outside JIS X 0208 (Windows-only or astral), as people's names really have them.
KANJI_OUTSIDE = ("髙橋", "山﨑", "𠮷田", "德永", "濵田", "栁沢", "㈱ミドリ商事", "㈲サクラ食品")
KANJI_COMPANY = ("商事", "建設", "産業", "不動産", "工業", "電機", "システム", "物流", "食品")
KANJI_FORMS = ("株式会社", "有限会社", "合同会社")
PREFECTURES = (
    ("東京都", ("千代田区", "中央区", "港区", "新宿区", "渋谷区", "世田谷区")),
    ("大阪府", ("大阪市北区", "大阪市中央区", "堺市堺区")),
    ("神奈川県", ("横浜市西区", "川崎市川崎区")),
    ("愛知県", ("名古屋市中区", "豊田市")),
    ("福岡県", ("福岡市博多区", "北九州市小倉北区")),
    ("北海道", ("札幌市中央区", "函館市")),
)
TOWN_PARTS = ("丸の内", "大手町", "本町", "栄", "中央", "西新宿", "南青山", "天神", "北", "緑町")
BUILDINGS = ("ＡＢＣビル", "第二ミドリビル", "サクラタワー", "コーポ本町", "ハイツ栄")
BANK_CODES: tuple[str, ...] = (
    "0001",
    "0005",
    "0009",
    "0010",
    "0017",
    "0033",
    "0036",
    "0038",
    "0150",
    "0397",
)
BANK_CODES += ("0116", "0117", "0138", "9900")
PHONE_PREFIXES = ("03", "06", "045", "052", "092", "011", "090", "080", "070")

"""max_bytes: at most N bytes in an encoding; characters outside it count as GB 18030 does."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of, repair
from tests.kinds.helpers import stats_of

KIND = "max_bytes"
EXAMPLES = [
    ({"max": 4, "encoding": "gbk"}, "中国", True),
    ({"max": 4, "encoding": "gbk"}, "中国a", False),
    # Outside GBK: measured as GB 18030 writes it (4 bytes), as the learner measured it.
    ({"max": 4, "encoding": "gbk"}, "😀", True),
    ({"max": 4, "encoding": "gbk"}, "a😀", False),
    ({"max": 6, "encoding": "utf-8"}, "中国", True),
    ({"max": 5, "encoding": "utf-8"}, "中国", False),
]


def kind():
    return kind_of(RuleSpec("e", "f", KIND))


def test_measured_in_the_encodings_the_text_suggests():
    stats = stats_of(["上海华瑞科技有限公司", "北京恒泰贸易有限公司", "深圳博新有限公司"] * 2)
    assert set(stats.max_bytes) == {"gbk", "utf-8"}
    found = dict(kind().candidates(stats, "上海华瑞科技有限公司分公司"))
    assert found == {("max_bytes", "gbk"): 26, ("max_bytes", "utf-8"): 39}
    ascii_only = stats_of(["ACME LTD", "JOHN SMITH", "O'BRIEN"] * 2)
    assert ascii_only.max_bytes == {}  # bytes are characters: max_length says it


def test_gbk_preferred_for_chinese_on_equally_tight_brackets():
    stats = stats_of(["上海华瑞科技有限公司", "北京恒泰贸易有限公司"] * 3)
    k = kind()
    assert k.preference(("max_bytes", "gbk"), [26], stats) < k.preference(
        ("max_bytes", "utf-8"), [39], stats
    )


def test_repair_cuts_whole_characters():
    assert repair(RuleSpec("e", "f", KIND, {"max": 5, "encoding": "gbk"}), "中国人") == "中国"

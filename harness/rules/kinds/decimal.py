"""``decimal``: a plain decimal number (ASCII digits, an optional point) within limits.

Parameters, each optional: ``scale`` (most digits after the point), ``min_scale`` (fewest:
``2`` with ``scale: 2`` means exactly two), ``min`` and ``max`` (decimal strings),
``plus`` (False: a leading ``+`` is refused), ``leading_zeros`` (False: ``012`` and ``00.5``
are refused), ``trailing_zeros`` (False: ``12.50`` is refused; write ``12.5``).

Learning, on a field whose accepted values are all plain decimals that look like amounts:
a rejected value that is not a plain decimal, has more (or fewer) decimals than every
accepted one, a sign, a leading or trailing zero no accepted value has, or lies beyond every
accepted value is a candidate. A limit is the roundest number inside the bracket between
the accepted and the rejected extremes, and of those the least restrictive
(:func:`harness.rules.bracket.nice_decimal`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from harness.errors import ConfigError
from harness.rules import bracket, regex
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats

# Plain decimal notation in ASCII digits: gateways refuse "1e3", "1_000", " 12" and
# full-width digits, which Python's Decimal would accept.
PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_FLAGS = ("plus", "leading_zeros", "trailing_zeros")


def scale_of(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def has_leading_zero(text: str) -> bool:
    digits = text.lstrip("+-")
    return len(digits) > 1 and digits[0] == "0" and digits[1] != "."


def has_trailing_zero(text: str) -> bool:
    return "." in text and text.endswith("0")


class DecimalKind(Kind):
    name = "decimal"
    params = ("scale", "min_scale", "min", "max", *_FLAGS)
    analogy = "name"
    keywords = ("x-minimum", "x-maximum", "x-decimal")
    limits = True

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        out: dict[str, Any] = {}
        for name in ("scale", "min_scale"):
            value = params.get(name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ConfigError(f"{where}: {name} must be a whole number >= 0")
                out[name] = value
        for name in ("min", "max"):
            if params.get(name) is not None:
                try:
                    out[name] = bracket.decimal_text(Decimal(str(params[name])))
                except InvalidOperation:
                    raise ConfigError(f"{where}: {name} must be a number") from None
        for name in _FLAGS:
            if params.get(name) is not None:
                if not isinstance(params[name], bool):
                    raise ConfigError(f"{where}: {name} must be true or false")
                out[name] = params[name]
        return out

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        if text is None:
            return True
        if PLAIN.fullmatch(text) is None:
            return False
        scale = scale_of(text)
        if params.get("scale") is not None and scale > int(params["scale"]):
            return False
        if params.get("min_scale") is not None and scale < int(params["min_scale"]):
            return False
        if params.get("plus") is False and text.startswith("+"):
            return False
        if params.get("leading_zeros") is False and has_leading_zero(text):
            return False
        if params.get("trailing_zeros") is False and has_trailing_zero(text):
            return False
        number = Decimal(text)
        if params.get("min") is not None and number < Decimal(str(params["min"])):
            return False
        return not (params.get("max") is not None and number > Decimal(str(params["max"])))

    def describe(self, params: Mapping[str, Any]) -> str:
        parts = []
        scale, low_scale = params.get("scale"), params.get("min_scale")
        if scale is not None and low_scale == scale:
            parts.append(f"exactly {scale} decimal places")
        else:
            if scale is not None:
                parts.append(f"at most {scale} decimal places")
            if low_scale is not None:
                parts.append(f"at least {low_scale} decimal places")
        low, high = params.get("min"), params.get("max")
        if low is not None and high is not None:
            parts.append(f"a value between {low} and {high}")
        elif low is not None:
            parts.append(f"a value of at least {low}")
        elif high is not None:
            parts.append(f"a value of at most {high}")
        for flag, words in (
            ("plus", "no plus sign"),
            ("leading_zeros", "no leading zeros"),
            ("trailing_zeros", "no trailing zeros after the point"),
        ):
            if params.get(flag) is False:
                parts.append(words)
        return "a decimal number" + (" with " + " and ".join(parts) if parts else "")

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": ["string", "number", "null"]}
        out["pattern"] = regex.decimal_pattern(params.get("scale"))
        for bound, native in (("min", "minimum"), ("max", "maximum")):
            if params.get(bound) is not None:
                value = Decimal(str(params[bound]))
                out[native] = int(value) if value == value.to_integral_value() else float(value)
                out[f"x-{native}"] = bracket.decimal_text(value)
        extra = {k: params[k] for k in ("min_scale", *_FLAGS) if k in params}
        if extra:
            out["x-decimal"] = extra
        return out

    def keyword_check(self, keyword: str, value: Any, instance: Any) -> bool:
        if not isinstance(instance, str):
            return True  # numbers have minimum/maximum; other types are not amounts
        if keyword == "x-decimal":
            return PLAIN.fullmatch(instance) is None or self.check(value, instance)
        try:
            number, bound = Decimal(instance), Decimal(str(value))
        except InvalidOperation:
            return True  # the pattern reports a value that is not a decimal
        if not number.is_finite():
            return True
        return number >= bound if keyword == "x-minimum" else number <= bound

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        if text is None:
            return None
        try:
            number = Decimal(text.strip().lstrip("+"))
        except InvalidOperation:
            return None
        if params.get("scale") is not None:
            number = number.quantize(Decimal(1).scaleb(-int(params["scale"])), ROUND_DOWN)
        if params.get("max") is not None and number > Decimal(str(params["max"])):
            number = Decimal(str(params["max"]))
        if params.get("min") is not None and number < Decimal(str(params["min"])):
            number = Decimal(str(params["min"]))
        out = bracket.decimal_text(number)
        if params.get("min_scale") is not None and scale_of(out) < int(params["min_scale"]):
            out = bracket.decimal_text(
                number.quantize(Decimal(1).scaleb(-int(params["min_scale"])))
            )
        return out if self.check(params, out) else None

    def family(self, params: Mapping[str, Any]) -> Any:
        return tuple(sorted(k for k, v in params.items() if v is not None))

    def merge(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(new)
        if "scale" in new and "scale" in old:
            out["scale"] = max(int(old["scale"]), int(new["scale"]))
        if "min_scale" in new and "min_scale" in old:
            out["min_scale"] = min(int(old["min_scale"]), int(new["min_scale"]))
        if "max" in new and "max" in old:
            out["max"] = str(max(Decimal(str(old["max"])), Decimal(str(new["max"]))))
        if "min" in new and "min" in old:
            out["min"] = str(min(Decimal(str(old["min"])), Decimal(str(new["min"]))))
        return out

    def refine(
        self,
        old: Mapping[str, Any],
        old_evidence: Mapping[str, Any],
        new: Mapping[str, Any],
        new_evidence: Mapping[str, Any],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        params = self.merge(old, new)
        a, b = old_evidence.get("bracket") or {}, new_evidence.get("bracket") or {}
        merged: dict[str, Any] = {}
        for side, upper in (("max", True), ("min", False)):
            if side in a and side in b:
                both = bracket.widen(a[side], b[side], upper=upper)
                acc, rej = Decimal(str(both["accepted"])), Decimal(str(both["rejected"]))
                scale = int(params.get("scale", max(scale_of(str(acc)), scale_of(str(rej)))))
                if upper:
                    params["max"] = bracket.decimal_text(
                        bracket.nice_decimal(acc, rej, upper=True, scale=scale)
                    )
                else:
                    params["min"] = bracket.decimal_text(
                        bracket.nice_decimal(rej, acc, upper=False, scale=scale)
                    )
                merged[side] = both
            elif side in a or side in b:
                merged[side] = a.get(side) or b.get(side)
        return params, ({"bracket": merged} if merged else {})

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        num = stats.numbers
        if num is None:
            return None
        if params.get("scale") is not None and num.max_scale > int(params["scale"]):
            return False
        if params.get("min_scale") is not None and num.min_scale < int(params["min_scale"]):
            return False
        if params.get("max") is not None and num.max > Decimal(str(params["max"])):
            return False
        if params.get("min") is not None and num.min < Decimal(str(params["min"])):
            return False
        for flag, seen in (("plus", num.plus), ("leading_zeros", num.leading_zero)):
            if params.get(flag) is False and seen:
                return False
        return not (params.get("trailing_zeros") is False and num.trailing_zero)

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return dict(params) if self.clear(params, stats) else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        num = stats.numbers
        if not text or num is None or not stats.informative:
            return
        if PLAIN.fullmatch(text) is None:
            yield ("decimal", "plain"), True
            return
        scale = scale_of(text)
        if scale > num.max_scale:
            yield ("decimal", "scale"), scale
        if scale < num.min_scale and num.min_scale == num.max_scale:
            yield ("decimal", "min_scale"), scale
        if text.startswith("+") and not num.plus:
            yield ("decimal", "plus"), True
        if has_leading_zero(text) and not num.leading_zero:
            yield ("decimal", "leading_zeros"), True
        if has_trailing_zero(text) and not num.trailing_zero and num.max_scale > 0:
            yield ("decimal", "trailing_zeros"), True
        number = Decimal(text)
        if number > num.max:
            yield ("decimal", "max"), number
        if number < num.min:
            yield ("decimal", "min"), number

    def bounds(self, key: Key) -> bool:
        return key[1] in ("max", "min")

    def upper_key(self, key: Key) -> bool:
        return bool(key[1] == "max")

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 5.0 if key[1] == "plain" else 6.0

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        num = stats.numbers
        assert num is not None
        params: dict[str, Any] = {}
        evidence: dict[str, Any] = {}
        for key, infos in chosen:
            what = key[1]
            if what in ("plain", "scale"):
                params["scale"] = num.max_scale
            elif what == "min_scale":
                params["min_scale"] = num.min_scale
                params["scale"] = num.max_scale
            elif what in _FLAGS:
                params[what] = False
            elif what == "max":
                nearest = min(infos)
                bound = bracket.nice_decimal(num.max, nearest, upper=True, scale=num.max_scale)
                params["max"] = bracket.decimal_text(bound)
                evidence.setdefault("bracket", {})["max"] = {
                    "accepted": bracket.decimal_text(num.max),
                    "rejected": bracket.decimal_text(nearest),
                }
            elif what == "min":
                nearest = max(infos)
                bound = bracket.nice_decimal(nearest, num.min, upper=False, scale=num.max_scale)
                params["min"] = bracket.decimal_text(bound)
                evidence.setdefault("bracket", {})["min"] = {
                    "accepted": bracket.decimal_text(num.min),
                    "rejected": bracket.decimal_text(nearest),
                }
        return [(params, evidence)]


register(DecimalKind())

"""Run the benchmarks side by side and print their figures: `make bench`.

Each benchmarks/bench_*.py module has ``main(argv=None) -> dict`` and, to appear in the
closing table, ``summary(figures) -> [(figure, measured, ratio, target, met)]``. Figures are
medians and ratios measured in one run on this machine; docs/benchmarks.md records them
with the command that produced them. Pass names to run a subset: ``python benchmarks/run.py
replay store``. Every benchmark's load is bounded (fixed durations and sizes); the whole
run takes about twenty minutes (learning ten million exchanges alone takes six).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ORDER = ("capture", "store", "replay", "mock", "learn", "adversarial")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: {' '.join(ORDER)})")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    from benchmarks.common import table

    names = args.names or list(ORDER)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
    }
    rows: list[tuple[str, ...]] = []
    began = time.perf_counter()
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        results[name] = module.main([])
        seconds = time.perf_counter() - started
        results.setdefault("seconds", {})[name] = round(seconds)
        print(f"({name}: {seconds:.0f} s)", flush=True)
        rows += _summary_rows(name, module, results[name])
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    total = time.perf_counter() - began
    print(f"\n=== summary ({results['when']}, {results['machine']}, {total / 60:.1f} min) ===")
    print(table(("benchmark", "figure", "measured", "ratio", "target", "met"), rows, left=2))
    print(f"\nfigures written to {path.relative_to(HERE.parent)}")
    return 0


def _summary_rows(name: str, module: Any, figures: Any) -> list[tuple[str, ...]]:
    summary = getattr(module, "summary", None)
    if summary is None:
        return [(name, "(see its table above)", "", "", "", "")]
    met = {True: "yes", False: "NO", None: ""}
    return [(name, f, m, r, t, met[ok]) for f, m, r, t, ok in summary(figures)]


if __name__ == "__main__":
    sys.exit(main())

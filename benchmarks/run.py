"""Run the benchmarks side by side and print their figures: `make bench`.

Each benchmarks/bench_*.py module has ``main(argv=None) -> dict``. Figures are medians and
ratios measured in one run on this machine; docs/benchmarks.md records them with the
command that produced them. Pass names to run a subset: ``python benchmarks/run.py capture``.
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

HERE = Path(__file__).resolve().parent
ORDER = ("capture", "store", "replay", "learn", "adversarial")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: {' '.join(ORDER)})")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    names = args.names or list(ORDER)
    results: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
    }
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        results[name] = module.main([])
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nfigures written to {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

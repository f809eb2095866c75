"""Information sheet speed against the bare reportlab baseline, side by side in one run.

    python bench/bench_info.py [--n 200] [--cold 10] [--baseline-dir ../shared/bench]

Warm: renders the project's information sheet and the baseline leaflet alternately in this
one process, a different patient name each time, and compares milliseconds per page; the sheet
is also made with the reuse of issue 16 turned off (PATIENTDOCS_REUSE=0), and without tagging
(no structure tree, no marked content), in the same rotation: the four are made in a new order each
time (a seeded shuffle), so none is always made just after the same one.
This is repeated ROUNDS times (default 3); the median ratio is printed with its min and max.
Cold: runs `python generate.py info ...` and the baseline's one-document process alternately,
the same number of times, and compares median wall times (process start to file written), and
each pair's CPU time (median of the pairs' ratios), which a busy machine disturbs less.
The very first run, with an empty cache, is reported apart: that is what the first document
after a content or template update costs.
Targets (issue 16): warm ratio <= 0.8, cold ratio <= 1.4.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from common import FONT_BOLD, FONT_REGULAR, ROOT, bench_config, load_baseline

sys.path.insert(0, str(ROOT))


def warm(n: int, baseline_dir: Path, config_path: Path, rounds: int = 3) -> dict[str, object]:
    from patientdocs.load.config import load_config
    from patientdocs.load.visit import make_visit
    from patientdocs.render.pdf import reuse
    from patientdocs.render.pipeline import Pipeline

    content, baseline, styles = load_baseline(baseline_dir)
    pipeline = Pipeline(load_config(config_path))
    ratios, off_ratios, base_pages_ms, ours_pages_ms, off_pages_ms = [], [], [], [], []
    tagging_costs: list[float] = []
    ours_pages = base_pages = 0
    order = random.Random(16)
    for _ in range(max(1, rounds)):
        ours_ms, base_ms, off_ms, plain_ms = [], [], [], []
        for i in range(n + 5):  # the first five of each round warm up caches and are not counted
            person = content.patient(i)
            visit = make_visit(patient=person["name"], date="2026-12-01", therapist="Sam Patel")

            def base(person=person) -> int:
                return baseline.render(person, io.BytesIO(), styles)

            def ours(visit=visit) -> int:
                return pipeline.render([("info", "")], visit, treatment="dry-needling", language="en").pages

            def off(visit=visit) -> int:
                os.environ[reuse.SWITCH] = "0"
                try:
                    return ours(visit)
                finally:
                    del os.environ[reuse.SWITCH]

            def plain(visit=visit) -> int:
                with untagged():
                    return ours(visit)

            # A new order each time (the same orders every run): what runs just before another
            # leaves the processor's caches warm or cold for it. Measured: the untagged sheet,
            # always made right after the same sheet without reuse, came out 5% faster for it,
            # and turning the order round kept the same neighbours.
            variants = [("base", base), ("ours", ours), ("off", off), ("plain", plain)]
            order.shuffle(variants)
            times: dict[str, float] = {}
            pages: dict[str, int] = {}
            for name, make in variants:
                start = time.perf_counter()
                pages[name] = make()
                times[name] = (time.perf_counter() - start) * 1000
            base_pages, ours_pages = pages["base"], pages["ours"]
            if i >= 5:
                base_ms.append(times["base"])
                ours_ms.append(times["ours"])
                off_ms.append(times["off"])
                plain_ms.append(times["plain"])
        base_per_page = statistics.median(base_ms) / base_pages
        ours_per_page = statistics.median(ours_ms) / ours_pages
        off_per_page = statistics.median(off_ms) / ours_pages
        base_pages_ms.append(base_per_page)
        ours_pages_ms.append(ours_per_page)
        off_pages_ms.append(off_per_page)
        ratios.append(ours_per_page / base_per_page)
        off_ratios.append(off_per_page / base_per_page)
        tagging_costs.append(statistics.median(ours_ms) / statistics.median(plain_ms))
    return {"docs": n, "rounds": len(ratios), "baseline_pages": base_pages, "project_pages": ours_pages,
            "baseline_ms_per_page": round(statistics.median(base_pages_ms), 2),
            "project_ms_per_page": round(statistics.median(ours_pages_ms), 2),
            "project_no_reuse_ms_per_page": round(statistics.median(off_pages_ms), 2),
            "warm_ratio": round(statistics.median(ratios), 3), "warm_ratio_min": round(min(ratios), 3),
            "warm_ratio_max": round(max(ratios), 3), "warm_ratio_no_reuse": round(statistics.median(off_ratios), 3),
            "tagged_vs_untagged": round(statistics.median(tagging_costs), 3),
            "tagged_vs_untagged_min": round(min(tagging_costs), 3),
            "tagged_vs_untagged_max": round(max(tagging_costs), 3)}


@contextlib.contextmanager
def untagged() -> Iterator[None]:
    """The same sheet without its structure tree or marked content, to weigh tagging (issue 12:
    at most 10% of the warm time). Only this benchmark makes untagged PDFs."""
    from patientdocs.render.pdf import render, tagging

    settings, tag_block = render.TagSettings, tagging.tag_block
    render.TagSettings = lambda **_: None  # type: ignore[assignment,misc]
    tagging.tag_block = lambda node, flowables: flowables  # type: ignore[assignment]
    try:
        yield
    finally:
        render.TagSettings, tagging.tag_block = settings, tag_block


def cold(runs: int, baseline_dir: Path, config_path: Path, tmp: Path) -> dict[str, float]:
    ours_cmd = [sys.executable, str(ROOT / "generate.py"), "info", "--config", str(config_path),
                "--patient", "Zoë O'Brien", "--dob", "1984-03-09", "--therapist", "Sam Patel",
                "--date", "2026-12-01", "-o", str(tmp / "cold-ours.pdf")]
    base_cmd = [sys.executable, str(baseline_dir / "baseline_reportlab.py"), "--regular", str(FONT_REGULAR),
                "--bold", str(FONT_BOLD), "--n", "1", "-o", str(tmp / "cold-base.pdf")]
    # An empty cache folder: the first run validates the content and compiles the templates, as
    # after every content update; it is reported on its own and not counted in the ratio.
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
    ours, base = [], []
    ours_cpu, base_cpu = [], []
    for _ in range(runs + 1):
        for cmd, times, cpu in ((base_cmd, base, base_cpu), (ours_cmd, ours, ours_cpu)):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=tmp, env=env)
            times.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    (ours_first, *ours), (base_first, *base) = ours, base
    # CPU time (user + system) of each process as well: on a machine shared with other work,
    # waiting for a core inflates wall times at random, CPU time much less.
    cpu_ratios = [o / b for o, b in zip(ours_cpu[1:], base_cpu[1:], strict=True)]
    return {"runs": runs, "baseline_cold_s": round(statistics.median(base), 3),
            "project_cold_s": round(statistics.median(ours), 3),
            "cold_ratio": round(statistics.median(ours) / statistics.median(base), 3),
            # each run against the baseline's run beside it, for the spread
            "cold_ratio_min": round(min(o / b for o, b in zip(ours, base, strict=True)), 3),
            "cold_ratio_max": round(max(o / b for o, b in zip(ours, base, strict=True)), 3),
            "baseline_first_s": round(base_first, 3), "project_first_s": round(ours_first, 3),
            "baseline_cold_cpu_s": round(statistics.median(base_cpu[1:]), 3),
            "project_cold_cpu_s": round(statistics.median(ours_cpu[1:]), 3),
            "cold_cpu_ratio": round(statistics.median(cpu_ratios), 3),
            "cold_cpu_ratio_min": round(min(cpu_ratios), 3), "cold_cpu_ratio_max": round(max(cpu_ratios), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="documents of each kind for the warm test")
    parser.add_argument("--cold", type=int, default=10, help="cold runs of each command")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the warm test (median, min, max)")
    parser.add_argument("--baseline-dir", type=Path, default=ROOT.parent / "shared" / "bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        config_path = bench_config(tmp)
        os.environ.pop("SOURCE_DATE_EPOCH", None)
        os.environ.pop("PATIENTDOCS_REUSE", None)
        result: dict[str, object] = warm(args.n, args.baseline_dir.resolve(), config_path, args.rounds)
        result |= cold(args.cold, args.baseline_dir.resolve(), config_path, tmp)
    print(json.dumps(result))
    print(f"warm: {result['project_ms_per_page']} ms/page vs baseline {result['baseline_ms_per_page']} ms/page "
          f"-> ratio {result['warm_ratio']} median of {result['rounds']} rounds (min {result['warm_ratio_min']}, "
          f"max {result['warm_ratio_max']}; target <= 0.8); without reuse {result['project_no_reuse_ms_per_page']} "
          f"ms/page, ratio {result['warm_ratio_no_reuse']}")
    print(f"tagging: the tagged sheet takes {result['tagged_vs_untagged']} times the untagged one's warm time "
          f"(median of {result['rounds']} rounds; min {result['tagged_vs_untagged_min']}, "
          f"max {result['tagged_vs_untagged_max']}; target <= 1.10)")
    print(f"cold: {result['project_cold_s']} s vs baseline {result['baseline_cold_s']} s "
          f"-> ratio {result['cold_ratio']} (pairs: min {result['cold_ratio_min']}, max {result['cold_ratio_max']}; "
          f"target <= 1.4)")
    print(f"cold, CPU time: {result['project_cold_cpu_s']} s vs baseline {result['baseline_cold_cpu_s']} s "
          f"-> ratio {result['cold_cpu_ratio']} (median of pairs; min {result['cold_cpu_ratio_min']}, "
          f"max {result['cold_cpu_ratio_max']})")
    print(f"first run with nothing cached (after a content or template update): {result['project_first_s']} s "
          f"vs baseline {result['baseline_first_s']} s (not a target)")


if __name__ == "__main__":
    main()

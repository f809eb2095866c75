"""Batch speed, scaling and memory, with the bare reportlab baseline measured in the same run.

    python bench/bench_batch.py [--rows 500] [--mem-small 100] [--mem-large 1000] [--pages-n 60]
    python bench/bench_batch.py --quick          # small numbers: checks that everything runs
    python bench/bench_batch.py --memory         # only part 3, the memory runs
    python bench/bench_batch.py --scaling        # only part 1, 2 workers against 1

1. Scaling: `generate.py batch` on ROWS generated appointments (varied names, documents
   "info consent"), --workers 2 against --workers 1, wall time (process start to exit), REPEAT
   pairs (default 3) in alternating order; the median ratio is printed with its min and max.
   Target: ratio <= 0.55 (issue 16).
2. Per page: one worker in this process (patientdocs.batch.run._start_worker, then _make on each
   job: render, write, fsync, record) alternating with the baseline leaflet
   (../shared/bench/baseline_reportlab.py, the project's own fonts); median ms per page.
   The jobs are made single-sided so that every page counted has content. Every other job is made
   with the reuse of issue 16 turned off (PATIENTDOCS_REUSE=0), for comparison. REPEAT rounds;
   the median ratio is printed with its min and max. Target: <= 0.4 (issue 16).
   The end-to-end figure (single-worker wall time / pages made) is reported too.
3. Memory: peak RSS of each process for MEM_SMALL and MEM_LARGE rows, with 1 and 2 workers
   (wait4's ru_maxrss for the whole run; /proc VmHWM sampled per process to tell the main
   process from the workers). Target: the large run within 15% of the small one.
4. print-all.pdf size per made appointment. Target: <= 30 KB.
5. With --records (only this is then measured): a day of RECORDS_ROWS appointments (1,000) made with
   2 workers, records in the SQLite file against records on a PostgreSQL server (started here in a
   temporary folder, Unix socket only, as in the tests), wall time; then the records alone: 2
   processes saving RECORDS_ROWS small files with their records, ms per file and record. Target:
   PostgreSQL within 10% of SQLite for the day, and a record a small part of a document's time.

Prints one JSON line, then one human line per figure.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, bench_config, load_baseline

sys.path.insert(0, str(ROOT))
EPOCH = "1764547200"
TREATMENT = "dry-needling"

FIRST = ["Anna", "José", "Zoë", "Seán", "Aoife", "Björn", "François", "Łukasz", "Siobhán", "Tomáš", "Renée",
         "Chloé", "Mehmet", "Ngozi", "Priya", "Liam", "Emily", "Jamal", "Giulia", "Pedro", "Wei", "Hannah",
         "Oliver", "Kateřina", "İbrahim", "Ana-Maria", "D'Arcy", "Mary", "Ahmed", "Olu"]
LAST = ["Kowalska", "Álvarez", "Brontë-Smith", "O'Brien", "Ní Bhriain", "Åström", "Lefèvre", "Wójcik",
        "Murphy", "Dvořák", "Laurent", "Dubois", "Öztürk", "Okafor", "Sharma", "Walsh", "Clarke", "Hussain",
        "Rossi", "Gonçalves", "Zhang", "Schmidt", "Bennett", "Nováková", "Yılmaz", "Popescu", "Fitzgerald",
        "Jones", "Al-Farsi", "Adeyemi", "Nowak", "Smith", "García", "Müller", "Jensen", "Kovač", "Lindqvist"]
OTHER_SCRIPTS = ["Γιώργος Παπαδόπουλος", "Дмитрий Иванов", "Nguyễn Thị Minh Khai", "Ελένη Κωνσταντίνου",
                 "Ольга Петренко", "Trần Văn Đức"]
THERAPISTS = ["Sam Patel", "Joanna Lis", "Chris Okoye", "Dana Whitfield"]


def make_csv(path: Path, rows: int) -> Path:
    """A day's list: varied names (1 in 20 in another script), four therapists, packets."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["date", "time", "patient_name", "dob", "patient_id", "therapist", "documents"])
        for i in range(rows):
            name = (OTHER_SCRIPTS[i // 20 % len(OTHER_SCRIPTS)] if i % 20 == 7
                    else f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}")
            minute = 7 * 60 + (i // len(THERAPISTS)) * 20 % (13 * 60)
            out.writerow(["2026-12-01", f"{minute // 60:02d}:{minute % 60:02d}", name,
                          f"{1940 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}", f"RP-{20000 + i}",
                          THERAPISTS[i % len(THERAPISTS)], "info consent"])
    return path


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "PATIENTDOCS_DEBUG"}
    out.update(SOURCE_DATE_EPOCH=EPOCH, PYTHONIOENCODING="utf-8")
    return out


def batch_command(csv_path: Path, out: Path, config: Path, workers: int) -> list[str]:
    return [sys.executable, str(ROOT / "generate.py"), "batch", str(csv_path), "-o", str(out),
            "--config", str(config), "--workers", str(workers)]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(x) for x in text.split()]
    return kids + [g for k in kids for g in _children(k)]


def _hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def with_records_url(config: Path, url: str | None) -> Path:
    if url:
        with config.open("a", encoding="utf-8") as handle:
            handle.write(f"records:\n  url: {json.dumps(url)}\n")
    return config


def run_batch(csv_path: Path, folder: Path, workers: int, records_url: str | None = None) -> dict[str, object]:
    """One `batch` run in a fresh folder: wall time, exit code, peak RSS (whole run and per process)."""
    config = with_records_url(bench_config(folder), records_url)
    out = folder / "day"
    started = time.perf_counter()
    process = subprocess.Popen(batch_command(csv_path, out, config, workers), cwd=folder, env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    peaks: dict[int, int] = {}
    while True:
        done, status, usage = os.wait4(process.pid, os.WNOHANG)
        if done:
            break
        for pid in [process.pid, *_children(process.pid)]:
            peaks[pid] = max(peaks.get(pid, 0), _hwm_kb(pid))
        time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    maxrss_kb = usage.ru_maxrss  # the largest process of the run: wait4 covers its reaped workers too
    wall = time.perf_counter() - started
    stdout = process.stdout.read().decode("utf-8", "replace")
    stderr = process.stderr.read().decode("utf-8", "replace")
    if process.returncode not in (0, 1) or not (out / "report.txt").is_file():
        raise SystemExit(f"batch failed ({process.returncode}): {stderr.strip()} {stdout.strip()}")
    report = (out / "report.txt").read_text(encoding="utf-8")
    pages = sum(int(n) for n in re.findall(r"\((\d+) pages\)", report))
    made = int(re.search(r"^(\d+) made,", report, re.MULTILINE).group(1))
    main_peak = peaks.get(process.pid, 0)
    workers_peak = max((v for k, v in peaks.items() if k != process.pid), default=0)
    return {"wall_s": round(wall, 2), "made": made, "pages": pages, "summary": stdout.strip().splitlines()[-1:],
            "print_all_bytes": (out / "print-all.pdf").stat().st_size, "peak_rss_mb": round(maxrss_kb / 1024, 1),
            "main_peak_mb": round(main_peak / 1024, 1), "worker_peak_mb": round(workers_peak / 1024, 1),
            "out": out}


JOIN_ALONE = """
import json, re, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from patientdocs.deliver.printrun import join

def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))

files = sorted(p for p in Path(sys.argv[2]).glob("*.pdf") if p.name != "print-all.pdf")
before = hwm()
started = time.perf_counter()
join(files, Path(sys.argv[2]) / "joined.pdf", duplex=True, blank_text="This page is intentionally blank.")
print(json.dumps({"join_s": round(time.perf_counter() - started, 2),
                  "join_rss_growth_mb": round((hwm() - before) / 1024, 1)}))
"""


def join_alone(out: Path) -> dict[str, float]:
    """The serial part of a run: joining the made files into print-all.pdf, in a fresh process."""
    if not Path("/proc/self/status").exists():
        return {"join_s": 0.0}
    done = subprocess.run([sys.executable, "-c", JOIN_ALONE, str(ROOT), str(out)], capture_output=True, text=True,
                          check=True, env=env())
    return json.loads(done.stdout)


def scaling(tmp: Path, rows: int, repeat: int = 3) -> dict[str, object]:
    """2 workers against 1, ``repeat`` pairs in alternating order (2-1, 1-2, 2-1 ...): on a shared
    machine one pair ranged from 0.60 to 1.03, so the median ratio is reported with its min and max."""
    source = make_csv(tmp / f"rows-{rows}.csv", rows)
    run_batch(make_csv(tmp / "warm.csv", 3), tmp / "warm", 1)  # fills the OS file cache and Jinja's cache
    ratios: list[float] = []
    walls: dict[int, list[float]] = {1: [], 2: []}
    one = two = None
    for n in range(max(3, repeat)):  # the issue asks for at least 3 pairs: fewer gives no useful spread
        pair = {}
        for count in ((2, 1) if n % 2 == 0 else (1, 2)):
            pair[count] = run_batch(source, tmp / f"scale-{n}-w{count}", count)
            walls[count].append(float(pair[count]["wall_s"]))
        one, two = pair[1], pair[2]
        ratios.append(float(two["wall_s"]) / float(one["wall_s"]))
    assert one is not None and two is not None
    same = (one["out"] / "print-all.pdf").read_bytes() == (two["out"] / "print-all.pdf").read_bytes()
    joined = join_alone(two["out"])
    serial = joined["join_s"]
    w1, w2 = statistics.median(walls[1]), statistics.median(walls[2])
    return {"rows": rows, "made": one["made"], "pages": one["pages"], "w1_wall_s": round(w1, 2),
            "w2_wall_s": round(w2, 2), "pairs": len(ratios), "workers_ratio": round(statistics.median(ratios), 3),
            "workers_ratio_min": round(min(ratios), 3), "workers_ratio_max": round(max(ratios), 3),
            "workers_ratio_without_join": round((w2 - serial) / (w1 - serial), 3),
            **joined,
            "end_to_end_ms_per_page_w1": round(w1 * 1000 / one["pages"], 2),
            "print_all_kb_per_packet": round(two["print_all_bytes"] / two["made"] / 1024, 2),
            "print_all_same_w1_w2": same}


def per_page(tmp: Path, n: int, baseline_dir: Path, rounds: int = 3) -> dict[str, object]:
    from patientdocs.batch import run as runner
    from patientdocs.batch.appointments import read_appointments
    from patientdocs.load.config import load_config
    from patientdocs.load.content import available
    from patientdocs.records.store import Records
    from patientdocs.render.pdf import reuse

    content, baseline, styles = load_baseline(baseline_dir)

    folder = tmp / "per-page"
    config_path = bench_config(folder)
    config = load_config(config_path)
    warmup = 3
    runner._start_worker(runner.RunSettings(config_path, False, False))
    ratios, off_ratios, base_round, ours_round, off_round = [], [], [], [], []
    ours_pages = base_pages = 0
    for r in range(max(1, rounds)):
        # Each round a list of its own, so every job is made (none found made already); with the
        # reuse of issue 16 turned off (PATIENTDOCS_REUSE=0) every other job, in the same rotation.
        listing = read_appointments(make_csv(folder / f"rows-{r}.csv", 2 * (n + warmup)),
                                    columns=config.batch.columns, date_formats=config.batch.date_formats,
                                    known_languages=available(config.handouts_dir)[TREATMENT],
                                    default_language=config.defaults.language)
        out = folder / f"day-{r}"
        out.mkdir()
        jobs = runner.plan(listing, out, TREATMENT, Records(config.records_path))
        ours, base, off = [], [], []
        for i in range(0, len(jobs) - 1, 2):
            t0 = time.perf_counter()
            base_pages = baseline.render(content.patient(i), io.BytesIO(), styles)
            t1 = time.perf_counter()
            outcome = runner._make(jobs[i])
            t2 = time.perf_counter()
            os.environ[reuse.SWITCH] = "0"
            try:
                plain = runner._make(jobs[i + 1])
            finally:
                del os.environ[reuse.SWITCH]
            t3 = time.perf_counter()
            if outcome.error or plain.error:
                raise SystemExit(f"project render failed: {outcome.error or plain.error}")
            ours_pages = outcome.pages
            if i >= 2 * warmup:
                base.append((t1 - t0) * 1000 / base_pages)
                ours.append((t2 - t1) * 1000 / outcome.pages)
                off.append((t3 - t2) * 1000 / plain.pages)
        base_ms, ours_ms, off_ms = statistics.median(base), statistics.median(ours), statistics.median(off)
        base_round.append(base_ms)
        ours_round.append(ours_ms)
        off_round.append(off_ms)
        ratios.append(ours_ms / base_ms)
        off_ratios.append(off_ms / base_ms)
    return {"docs": len(ours), "page_rounds": len(ratios), "baseline_pages_per_doc": base_pages,
            "project_pages_per_doc": ours_pages, "baseline_ms_per_page": round(statistics.median(base_round), 2),
            "project_ms_per_page": round(statistics.median(ours_round), 2),
            "project_no_reuse_ms_per_page": round(statistics.median(off_round), 2),
            "page_ratio": round(statistics.median(ratios), 3), "page_ratio_min": round(min(ratios), 3),
            "page_ratio_max": round(max(ratios), 3), "page_ratio_no_reuse": round(statistics.median(off_ratios), 3)}


def memory(tmp: Path, small: int, large: int, workers: list[int]) -> dict[str, object]:
    result: dict[str, object] = {"mem_small_rows": small, "mem_large_rows": large}
    for count in workers:
        runs = {}
        for rows in (small, large):
            source = make_csv(tmp / f"mem-{rows}.csv", rows)
            runs[rows] = run_batch(source, tmp / f"mem-{rows}-w{count}", count)
        for key in ("peak_rss_mb", "main_peak_mb", "worker_peak_mb"):
            result[f"w{count}_{key}_small"] = runs[small][key]
            result[f"w{count}_{key}_large"] = runs[large][key]
        result[f"w{count}_wall_s_large"] = runs[large]["wall_s"]
        if count == 1:
            result["w1_mem_ratio"] = round(runs[large]["peak_rss_mb"] / runs[small]["peak_rss_mb"], 3)
        else:
            result[f"w{count}_main_mem_ratio"] = round(runs[large]["main_peak_mb"] / runs[small]["main_peak_mb"], 3)
            result[f"w{count}_worker_mem_ratio"] = round(
                runs[large]["worker_peak_mb"] / runs[small]["worker_peak_mb"], 3)
    return result


WRITER = """
import hashlib, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[5])
from patientdocs.load.config import load_config
from patientdocs.records.store import Record, open_records, save_with_record
config, folder, tag, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
records = open_records(load_config(config))  # one connection per process, as a batch worker has
started = time.perf_counter()
for i in range(n):
    data = b"%PDF-1.4 " + f"{tag} {i}".encode() * 1000
    target = folder / f"{tag}-{i}.pdf"
    digest = hashlib.sha256(data).hexdigest()
    save_with_record(records, target, data, [Record(
        patient_name="Ana Lima", patient_id=f"{tag}-{i}", kind=kind, treatment="dry-needling", language="en",
        content_version="2026.11", fingerprint="0123456789ab", sha256=digest, channel="printed",
        file_name=str(target), visit_date="2026-12-01") for kind in ("info", "consent")])
print(time.perf_counter() - started)
"""


def records_alone(folder: Path, config: Path, rows: int, workers: int) -> float:
    """ms per file saved with its two records, ``workers`` processes at once, each with its share
    (timed inside each process from its first save, so process start and imports are not counted)."""
    folder.mkdir(parents=True, exist_ok=True)
    share = rows // workers
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(config), str(folder), f"w{w}", str(share),
                               str(ROOT)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
             for w in range(workers)]
    slowest = 0.0
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"records writer failed: {err.strip()}")
        slowest = max(slowest, float(out.strip()))
    return slowest * 1000 / (share * workers)


def records_backends(tmp: Path, rows: int, workers: int = 2) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_server import PgServer  # the tests' own throwaway server

    source = make_csv(tmp / f"records-{rows}.csv", rows)
    run_batch(make_csv(tmp / "warm.csv", 3), tmp / "warm", 1)
    server = PgServer()
    try:
        pg_url = server.url(server.new_database())
        pg = run_batch(source, tmp / "rec-pg", workers, records_url=pg_url)
        lite = run_batch(source, tmp / "rec-sqlite", workers)
        alone_pg = records_alone(tmp / "alone-pg", with_records_url(bench_config(tmp / "alone-pg-cfg"),
                                                                    server.url(server.new_database())),
                                 rows, workers)
        alone_lite = records_alone(tmp / "alone-sqlite", bench_config(tmp / "alone-sqlite-cfg"), rows, workers)
    finally:
        server.close()
    return {"records_rows": rows, "records_workers": workers, "made_sqlite": lite["made"], "made_pg": pg["made"],
            "pages": lite["pages"], "sqlite_wall_s": lite["wall_s"], "pg_wall_s": pg["wall_s"],
            "pg_vs_sqlite": round(pg["wall_s"] / lite["wall_s"], 3),
            "ms_per_appointment_sqlite": round(lite["wall_s"] * 1000 / rows, 1),
            "ms_per_appointment_pg": round(pg["wall_s"] * 1000 / rows, 1),
            "records_alone_ms_sqlite": round(alone_lite, 2), "records_alone_ms_pg": round(alone_pg, 2)}


def print_memory(result: dict[str, object], workers: list[int], small: int, large: int) -> None:
    for count in workers:
        if count == 1:
            print(f"memory, 1 worker: peak RSS {result['w1_peak_rss_mb_small']} MB for {small} rows, "
                  f"{result['w1_peak_rss_mb_large']} MB for {large} -> ratio {result['w1_mem_ratio']} "
                  f"(target <= 1.15)")
        else:
            print(f"memory, {count} workers: main process {result[f'w{count}_main_peak_mb_small']} -> "
                  f"{result[f'w{count}_main_peak_mb_large']} MB (ratio {result[f'w{count}_main_mem_ratio']}), "
                  f"each worker {result[f'w{count}_worker_peak_mb_small']} -> "
                  f"{result[f'w{count}_worker_peak_mb_large']} MB (ratio {result[f'w{count}_worker_mem_ratio']}) "
                  f"(target <= 1.15)")


def print_scaling(result: dict[str, object]) -> None:
    print(f"workers: {result['rows']} rows ({result['pages']} pages), 2 workers {result['w2_wall_s']} s vs "
          f"1 worker {result['w1_wall_s']} s (medians) -> ratio {result['workers_ratio']} median of "
          f"{result['pairs']} alternated pairs (min {result['workers_ratio_min']}, max {result['workers_ratio_max']}; "
          f"target <= 0.55); "
          f"joining print-all alone takes {result['join_s']} s (+{result.get('join_rss_growth_mb', '?')} MB), "
          f"ratio without it {result['workers_ratio_without_join']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500, help="appointments for the 1-vs-2-worker run")
    parser.add_argument("--mem-small", type=int, default=100, help="appointments of the small memory run")
    parser.add_argument("--mem-large", type=int, default=1000, help="appointments of the large memory run")
    parser.add_argument("--mem-workers", default="1,2", help="worker counts for the memory runs")
    parser.add_argument("--pages-n", type=int, default=60, help="documents of each kind for the per-page test")
    parser.add_argument("--repeat", type=int, default=3, help="alternated 2-worker/1-worker pairs (at least 3)")
    parser.add_argument("--quick", action="store_true", help="small numbers, to check that the script works")
    parser.add_argument("--records", action="store_true",
                        help="only compare the records backends: SQLite against PostgreSQL, 2 workers")
    parser.add_argument("--memory", action="store_true",
                        help="only the memory runs (part 3): MEM_SMALL and MEM_LARGE rows, --mem-workers")
    parser.add_argument("--scaling", action="store_true", help="only the 2-workers-against-1 runs (part 1)")
    parser.add_argument("--records-rows", type=int, default=1000, help="appointments of the --records day")
    parser.add_argument("--baseline-dir", type=Path, default=ROOT.parent / "shared" / "bench")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.mem_small, args.mem_large, args.pages_n = 16, 8, 24, 8
        args.records_rows = 16
    if args.records:
        with tempfile.TemporaryDirectory(prefix="bench-records-") as folder:
            found = records_backends(Path(folder), args.records_rows)
        print(json.dumps(found))
        print(f"records: {found['records_rows']} appointments ({found['pages']} pages), 2 workers: PostgreSQL "
              f"{found['pg_wall_s']} s vs SQLite {found['sqlite_wall_s']} s -> ratio {found['pg_vs_sqlite']} "
              f"(target <= 1.10); the records alone, 2 processes: {found['records_alone_ms_pg']} ms per file and "
              f"its records on PostgreSQL, {found['records_alone_ms_sqlite']} ms on SQLite")
        return
    workers = [int(w) for w in args.mem_workers.split(",") if w.strip()]
    if args.memory:
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
            tmp = Path(folder)
            run_batch(make_csv(tmp / "warm.csv", 3), tmp / "warm", 1)  # as part 1: the caches filled first
            found = memory(tmp, args.mem_small, args.mem_large, workers)
        print(json.dumps(found))
        print_memory(found, workers, args.mem_small, args.mem_large)
        return
    if args.scaling:
        with tempfile.TemporaryDirectory(prefix="bench-scaling-") as folder:
            found = scaling(Path(folder), args.rows, args.repeat)
        print(json.dumps(found))
        print_scaling(found)
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as folder:
        tmp = Path(folder)
        result: dict[str, object] = {"cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                     else os.cpu_count()}
        result |= scaling(tmp, args.rows, args.repeat)
        result |= per_page(tmp, args.pages_n, args.baseline_dir.resolve(), args.repeat)
        result |= memory(tmp, args.mem_small, args.mem_large, workers)
    result["bench_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    print_scaling(result)
    print(f"per page: {result['project_ms_per_page']} ms (one worker: render, write, record) vs baseline "
          f"{result['baseline_ms_per_page']} ms -> ratio {result['page_ratio']} median of {result['page_rounds']} "
          f"rounds (min {result['page_ratio_min']}, max {result['page_ratio_max']}; target <= 0.4); without reuse "
          f"{result['project_no_reuse_ms_per_page']} ms, ratio {result['page_ratio_no_reuse']}; "
          f"end to end with 1 worker: {result['end_to_end_ms_per_page_w1']} ms/page")
    print_memory(result, workers, args.mem_small, args.mem_large)
    print(f"print-all.pdf: {result['print_all_kb_per_packet']} KB per packet (target <= 30); "
          f"identical with 1 and 2 workers: {result['print_all_same_w1_w2']}")


if __name__ == "__main__":
    main()

"""Speed benchmarks for socialtech-cli (whole-process timings, medians). Usage:

    python bench/bench.py            # all
    python bench/bench.py startup    # --help, categories, classify cold
    python bench/bench.py api        # classify_many throughput, one core
    python bench/bench.py batch      # 100k-row CSV, --jobs 1 and 2; peak memory 100k vs 1M rows

Numbers are printed as a Markdown table to paste into the README.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXE = [sys.executable, "-m", "socialtech_cli"]
ROOT = Path(__file__).resolve().parents[1]


def short_texts(n: int, seed: int = 0) -> list[str]:
    """Short bilingual descriptions, recombined from the curated examples' short texts."""
    rng = random.Random(seed)
    with open(ROOT / "data" / "examples.csv", encoding="utf-8") as f:
        base = [r["text"] for r in csv.DictReader(f) if len(r["text"].split()) <= 14]
    out = []
    for _ in range(n):
        words = rng.choice(base).split()
        if rng.random() < 0.5:
            words = words[: max(3, len(words) - rng.randint(0, 3))]
        out.append(" ".join(words))
    return out


def timed(cmd: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_startup() -> list[tuple[str, str, str]]:
    exe = [str(Path(sys.executable).parent / "socialtech")]
    if not Path(exe[0]).exists():
        exe = EXE
    text = "HelloAsso : plateforme de collecte de dons en ligne pour les associations"
    return [
        ("`socialtech --help`", f"{timed([*exe, '--help']):.3f} s", "≤ 0.2 s"),
        ("`socialtech categories`", f"{timed([*exe, 'categories']):.3f} s", "≤ 0.2 s"),
        ('`socialtech classify "…"` (cold process)', f"{timed([*exe, 'classify', text]):.3f} s", "≤ 0.35 s"),
        (
            '`socialtech classify --json "…"`',
            f"{timed([*exe, 'classify', '--json', text]):.3f} s",
            "≤ 0.35 s",
        ),
    ]


def bench_api() -> list[tuple[str, str, str]]:
    from socialtech_cli import Classifier

    clf = Classifier.load()
    texts = short_texts(20_000)
    clf.classify_many(texts[:100])
    rates = []
    for _ in range(3):
        t = time.perf_counter()
        clf.classify_many(texts)
        rates.append(len(texts) / (time.perf_counter() - t))
    rates_ne = []
    for _ in range(3):
        t = time.perf_counter()
        clf.classify_many(texts, explain=False)
        rates_ne.append(len(texts) / (time.perf_counter() - t))
    t = time.perf_counter()
    for s in texts[:2000]:
        clf.classify(s)
    one = 2000 / (time.perf_counter() - t)
    return [
        (
            "`classify_many` (20k short texts, one core, explanations)",
            f"{statistics.median(rates):,.0f} texts/s",
            "≥ 20,000/s",
        ),
        ("`classify_many(explain=False)`", f"{statistics.median(rates_ne):,.0f} texts/s", ""),
        ("`classify` one at a time (pure Python)", f"{one:,.0f} texts/s", ""),
    ]


def write_csv(path: Path, n: int) -> None:
    texts = short_texts(5_000, seed=1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "description"])
        for i in range(n):
            w.writerow([i, f"Org {i}", texts[i % len(texts)]])


def run_batch(src: Path, out: Path, *extra: str) -> tuple[float, int]:
    """Seconds and peak RSS (kB) of one whole `socialtech batch` process."""
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(
        [*EXE, "batch", str(src), "-o", str(out), "--force", "-q", "-t", "description", *extra], check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - t, max(after, before)


def bench_batch() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as d:
        small, _big = Path(d) / "100k.csv", Path(d) / "1m.csv"
        write_csv(small, 100_000)
        # Interleaved, so that a slow spell of the machine weighs on both sides alike.
        ones, twos = [], []
        for _ in range(5):
            ones.append(run_batch(small, Path(d) / "o1.csv")[0])
            twos.append(run_batch(small, Path(d) / "o2.csv", "--jobs", "2")[0])
        one, two = statistics.median(ones), statistics.median(twos)
        ratios = sorted(a / b for a, b in zip(ones, twos, strict=True))
        same = (Path(d) / "o1.csv").read_bytes() == (Path(d) / "o2.csv").read_bytes()
        rows.append(
            (
                "`batch` 100k rows, one job (whole process)",
                f"{100_000 / one:,.0f} rows/s ({one:.1f} s)",
                "≥ 20,000/s",
            )
        )
        rows.append(
            (
                "`batch` 100k rows, `--jobs 2`",
                f"{100_000 / two:,.0f} rows/s ({one / two:.2f}× one job, paired runs "
                f"{ratios[0]:.2f}–{ratios[-1]:.2f}×; identical output: {same})",
                "≥ 1.5× one job",
            )
        )
    # Peak memory: measured in fresh processes so each ru_maxrss is its own.
    mem = {}
    for n in (100_000, 1_000_000):
        here = str(Path(__file__).parent)
        code = (
            "import resource,subprocess,sys,tempfile,pathlib;"
            f"sys.path.insert(0, {here!r});import bench;"
            f"d=pathlib.Path(tempfile.mkdtemp());s=d/'in.csv';bench.write_csv(s,{n});"
            "bench.run_batch(s,d/'o.csv');"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        mem[n] = int(out.strip().splitlines()[-1])
    rows.append(
        (
            "peak memory, 100k rows / 1M rows",
            f"{mem[100_000] / 1024:.0f} MB / {mem[1_000_000] / 1024:.0f} MB (ratio {mem[1_000_000] / mem[100_000]:.2f})",
            "ratio ≤ 1.2",
        )
    )
    return rows


def main() -> None:
    which = sys.argv[1:] or ["startup", "api", "batch"]
    rows = []
    for name in which:
        rows += {"startup": bench_startup, "api": bench_api, "batch": bench_batch}[name]()
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| what | measured | target |\n| --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()

"""Timing helpers and the Markdown report (docs/benchmarks.md)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection


def timed(fn: Callable[[], object], repeat: int = 3, warmup: int = 1) -> float:
    """Median wall time in ms of ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def row(cells: list[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, PostgreSQL {pg} (shared_buffers {buffers})"


def generation(timings: dict[str, float]) -> str:
    return (
        "### Data set\n\n"
        + row(["rows", "generate + COPY (s)", "indexes (s)", "VACUUM ANALYZE (s)"])
        + "\n|---|---|---|---|\n"
        + row(
            [
                f"{int(timings['rows']):,}",
                f"{timings['generate_and_copy_s']:.0f}",
                f"{timings['indexes_s']:.0f}",
                f"{timings['vacuum_analyze_s']:.0f}",
            ]
        )
        + "\n"
    )


def write(path: Path, rows: int, sections: list[str]) -> None:
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = "# Benchmarks\n\nWritten by `make bench` (`python -m bench`); newest run first.\n"
    old = path.read_text() if path.exists() else header
    body = old.split("\n", 3)[3] if old.startswith("# Benchmarks") else old
    run = f"\n## {stamp} — {rows:,} items\n\nMachine: {machine()}.\n\n" + "\n".join(sections) + "\n"
    path.write_text(header + run + body)
    print(run)

"""Benchmark: the real stages on generated logs, against DuckDB's own speed on the same files.

    python -m pipeline.bench --rows 1000000 [--incremental] [--keep]

Generates the sample at the given size (cached under data/bench/), runs every stage in a fresh
warehouse and prints, per stage, wall time, rows per second and peak RSS of this process
(sampled, not estimated); then the floor measured in the same run on the same files: DuckDB
reading every column of every input file into a table, plus one group-by. Writes the table as JSON
under reports/bench/. Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import psutil

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.run import run
from pipeline.sample import write_sample

BENCH_DATA = paths.DATA / "bench"
NOW = datetime(2026, 11, 22)
INCREMENT_DAY = date(2026, 11, 1)


class PeakRss:
    """Samples this process's resident memory every 20 ms; `peak()` since the last `reset()`."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self._proc.memory_info().rss)
            time.sleep(0.02)

    def reset(self) -> None:
        self._peak = self._proc.memory_info().rss

    def peak(self) -> int:
        return max(self._peak, self._proc.memory_info().rss)


class StatementProfile:
    """Stands in for the run's connection and times each statement, by what it builds.

    A statement is named by its first line (the SQL files open with `-- table: grain`), else by
    its first words. Fetching the rows is counted with the statement that produced them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, con: duckdb.DuckDBPyConnection) -> _TimedConnection:
        return _TimedConnection(con, self)

    def add(self, sql: str, seconds: float) -> None:
        lines = str(sql).strip().splitlines()
        # "insert into t -- t: grain" or "-- t: grain" on one of the first lines names it
        comment = next((line.split("--", 1)[1] for line in lines[:3] if "--" in line), None)
        name = (comment.split(":")[0] if comment and ":" in comment
                else " ".join(str(sql).split()[:6]))
        name = name.strip()[:90]
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1

    def top(self, n: int = 15) -> list[dict]:
        ranked = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]
        return [{"statement": k, "seconds": v, "calls": self.calls[k]} for k, v in ranked]


class _TimedConnection:
    def __init__(self, con: duckdb.DuckDBPyConnection, profile: StatementProfile) -> None:
        self._con, self._profile = con, profile

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def execute(self, sql, *args, **kwargs):
        began = time.perf_counter()
        self._con.execute(sql, *args, **kwargs)
        self._profile.add(sql, time.perf_counter() - began)
        return self  # fetches go through __getattr__ to the connection


@dataclass
class StageTime:
    stage: str
    seconds: float
    rows: int
    peak_rss_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class BenchResult:
    rows: int
    input_rows: int
    input_mb: float
    stages: list[StageTime] = field(default_factory=list)
    end_to_end_s: float = 0.0
    floor_read_s: float = 0.0
    floor_groupby_s: float = 0.0
    peak_rss_mb: float = 0.0
    cpu_s: float = 0.0  # user + system time of this process for the run: load-independent
    incremental: dict | None = None
    statements: list[dict] = field(default_factory=list)  # --profile: the slowest statements

    @property
    def floor_s(self) -> float:
        return self.floor_read_s + self.floor_groupby_s

    @property
    def ratio(self) -> float:
        return self.end_to_end_s / self.floor_s if self.floor_s else float("nan")


def ensure_sample(rows: int, out: Path) -> Path:
    """The generated sample for `rows` interactions, reused when already complete."""
    sample = out / "sample"
    marker = sample / ".complete"
    stamp = out / "rows.txt"
    if marker.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == str(rows):
        return sample
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    print(f"generating {rows:,} interactions under {sample} ...", file=sys.stderr)
    write_sample(sample, interactions=rows)
    stamp.write_text(str(rows), encoding="utf-8")
    return sample


def _input_files(sample: Path) -> list[Path]:
    return sorted(p for p in sample.rglob("*") if p.is_file() and not p.name.startswith("."))


def measure_floor(sample: Path, work: Path) -> tuple[float, float, int]:
    """DuckDB alone: read every column of every input file into a table, then one group-by."""
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    groups = {
        # Text columns, as the pipeline reads them: dirty rows would break type sniffing.
        "calls": ("read_csv", sample / "callcentre/*.csv",
                  "delim=';', header=true, all_varchar=true, ignore_errors=true"),
        "tickets": ("read_json", sample / "helpdesk/*.jsonl",
                    "format='newline_delimited', ignore_errors=true"),
        "visits": ("read_csv", sample / "stores/*.csv",
                   "header=true, all_varchar=true, ignore_errors=true"),
        "letters": ("read_csv", sample / "letters/register_*.csv",
                    "header=true, skip=3, encoding='latin-1', all_varchar=true, "
                    "ignore_errors=true"),
        "surveys": ("read_csv", sample / "surveys/*.csv",
                    "header=true, all_varchar=true, ignore_errors=true"),
        "orders": ("read_parquet", sample / "orders/*.parquet", ""),
    }
    began = time.perf_counter()
    total = 0
    for table, (reader, pattern, options) in groups.items():
        opts = f", {options}" if options else ""
        con.execute(f"create table {table} as select * from {reader}('{pattern}'{opts})")
        total += con.execute(f"select count(*) from {table}").fetchall()[0][0]
    read_s = time.perf_counter() - began
    began = time.perf_counter()
    con.execute("select Queue, Reason, count(*), avg(length(Notes)) from calls group by all"
                ).fetchall()
    groupby_s = time.perf_counter() - began
    con.close()
    db.unlink(missing_ok=True)
    return read_s, groupby_s, total


def run_stages(cfg: RunConfig, rss: PeakRss, profile: StatementProfile | None = None
               ) -> tuple[list[StageTime], float, int]:
    marks: dict[str, float] = {}
    times: list[StageTime] = []

    def observe(stage: str, event: str) -> None:
        if event == "start":
            rss.reset()
            marks[stage] = time.perf_counter()
        else:
            times.append(StageTime(stage, time.perf_counter() - marks[stage], 0,
                                   rss.peak() / 2**20))

    began = time.perf_counter()
    result = run(cfg, observer=observe, wrap=profile.wrap if profile else None)
    total = time.perf_counter() - began
    rows_read = result.ingest.total("rows_read") if result.ingest else 0
    for t in times:
        t.rows = rows_read
    return times, total, rows_read


def _config(work: Path, data_dir: Path, memory_limit: str) -> RunConfig:
    return RunConfig(warehouse=work / "warehouse.duckdb", data_dir=data_dir,
                     reports_dir=work / "reports", now=NOW, quiet=True,
                     memory_limit=memory_limit)


def add_increment(data_dir: Path, rows: int, work: Path) -> int:
    """One new day's exports (about `rows` interactions) beside the loaded ones; returns files."""
    inc = work / "increment"
    shutil.rmtree(inc, ignore_errors=True)
    write_sample(inc, interactions=rows, months=1, end=INCREMENT_DAY, seed=7,
                 first_id=900_000_000)
    day = INCREMENT_DAY.isoformat()
    copies = {"callcentre/calls_2026-11.csv": f"callcentre/calls_{day}.csv",
              "helpdesk/tickets_2026-11.jsonl": f"helpdesk/tickets_{day}.jsonl",
              "stores/visits_2026-11.csv": f"stores/visits_{day}.csv",
              "orders/orders_2026-11.parquet": f"orders/orders_{day}.parquet"}
    for src, dst in copies.items():
        shutil.copy(inc / src, data_dir / "sample" / dst)
    return len(copies)


def remove_increment(data_dir: Path) -> None:
    for p in (data_dir / "sample").rglob(f"*_{INCREMENT_DAY.isoformat()}.*"):
        p.unlink()


def bench(rows: int, incremental: bool = False, keep: bool = False,
          data_root: Path = BENCH_DATA, out: Path = paths.REPORTS / "bench",
          increment_rows: int = 100_000, memory_limit: str = "2GB",
          profile: bool = False) -> BenchResult:
    data_dir = data_root / f"rows-{rows}"
    sample = ensure_sample(rows, data_dir)
    remove_increment(data_dir)
    work = out / f"work-{rows}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    files = _input_files(sample)
    result = BenchResult(rows=rows, input_rows=0,
                         input_mb=sum(p.stat().st_size for p in files) / 2**20)
    statements = StatementProfile() if profile else None
    with PeakRss() as rss:
        cpu = psutil.Process().cpu_times()
        result.stages, result.end_to_end_s, result.input_rows = run_stages(
            _config(work, data_dir, memory_limit), rss, statements)
        after = psutil.Process().cpu_times()
        result.cpu_s = (after.user - cpu.user) + (after.system - cpu.system)
        result.statements = statements.top() if statements else []
        result.floor_read_s, result.floor_groupby_s, _ = measure_floor(sample, work)
        result.peak_rss_mb = max(s.peak_rss_mb for s in result.stages)
        if incremental:
            add_increment(data_dir, increment_rows, work)
            stages, seconds, read = run_stages(_config(work, data_dir, memory_limit), rss)
            result.incremental = {"rows_read": read, "seconds": seconds,
                                  "share_of_full_run": seconds / result.end_to_end_s,
                                  "stages": [asdict(s) for s in stages]}
            remove_increment(data_dir)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def render(r: BenchResult) -> str:
    lines = [f"benchmark: {r.rows:,} interactions generated; {r.input_rows:,} rows read from "
             f"{r.input_mb:,.0f} MB of files",
             f"{'stage':<12}{'seconds':>10}{'rows/s':>14}{'peak RSS MB':>14}"]
    for s in r.stages:
        lines.append(f"{s.stage:<12}{s.seconds:>10.2f}{s.rows_per_second:>14,.0f}"
                     f"{s.peak_rss_mb:>14,.0f}")
    lines.append(f"{'end-to-end':<12}{r.end_to_end_s:>10.2f}"
                 f"{r.input_rows / r.end_to_end_s:>14,.0f}{r.peak_rss_mb:>14,.0f}")
    lines.append(f"{'floor':<12}{r.floor_s:>10.2f}  (DuckDB read {r.floor_read_s:.2f} s + "
                 f"group-by {r.floor_groupby_s:.2f} s)")
    lines.append(f"ratio end-to-end / floor: {r.ratio:.2f}   (CPU {r.cpu_s:.1f} s; "
                 f"{r.end_to_end_s / r.input_rows * 1e6:.2f} µs per input row)")
    if r.incremental:
        inc = r.incremental
        lines.append(f"incremental day: {inc['rows_read']:,} rows in {inc['seconds']:.2f} s "
                     f"= {inc['share_of_full_run']:.0%} of the full run")
    if r.statements:
        lines.append("slowest statements (seconds, calls):")
        lines += [f"  {s['seconds']:8.2f} {s['calls']:>4}  {s['statement']}" for s in r.statements]
    return "\n".join(lines)


def render_growth(out: Path) -> str:
    """Every size benchmarked into `out`, smallest first: does time per row rise with rows?"""
    runs = []
    for path in out.glob("bench-*.json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            runs.append((doc["rows"], doc["input_rows"], doc["end_to_end_s"], doc["ratio"],
                         doc["peak_rss_mb"]))
        except (OSError, ValueError, KeyError):
            continue  # a file from an older harness: not comparable
    if len(runs) < 2:
        return ""
    lines = ["growth (every size in " + str(out) + "):",
             f"{'rows':>12}{'seconds':>10}{'µs/row':>9}{'ratio':>8}{'peak MB':>10}"]
    for rows_, input_rows, secs, ratio, peak in sorted(runs):
        lines.append(f"{rows_:>12,}{secs:>10.1f}{secs / input_rows * 1e6:>9.2f}{ratio:>8.2f}"
                     f"{peak:>10,.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="interactions to generate")
    parser.add_argument("--incremental", action="store_true",
                        help="also time one new day's file (~100,000 rows) on top")
    parser.add_argument("--keep", action="store_true", help="keep the warehouse and reports")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit (2GB)")
    parser.add_argument("--out", type=Path, default=paths.REPORTS / "bench",
                        help="folder for the JSON result")
    parser.add_argument("--profile", action="store_true",
                        help="also time every SQL statement and list the slowest")
    args = parser.parse_args(argv)
    result = bench(args.rows, args.incremental, args.keep, out=args.out,
                   memory_limit=args.memory_limit, profile=args.profile)
    print(render(result))
    print(f"wrote {write_json(result, args.out)}")
    if growth := render_growth(args.out):
        print(growth)
    return 0


def write_json(result: BenchResult, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    doc = {**asdict(result), "floor_s": result.floor_s, "ratio": result.ratio,
           "stages": [{**asdict(s), "rows_per_second": s.rows_per_second}
                      for s in result.stages]}
    path = out / f"bench-{result.rows}.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


if __name__ == "__main__":
    raise SystemExit(main())

"""custseg benchmark (`make bench`): measures, side by side and as ratios,

1. per-customer feature aggregation over a transaction log in Parquet:
   custseg (`features.behaviour`, Ibis on DuckDB) vs hand-written DuckDB SQL computing the same
   features vs "tutorial" pandas (groupby + lambdas, as blog posts do — RFM only);
2. the clustering k sweep (k = 2..10) on synthetic customer tables;
3. the whole `custseg run` on the demo config.

Each measurement runs in a fresh process (so peak RSS includes DuckDB's native memory) and is
repeated; the table reports the median time and the peak memory. Results go to reports/bench/.

    python bench/bench.py                 # 1M and 10M transactions, 100k and 1M customers, demo run
    python bench/bench.py --quick         # small sizes, to check the harness
    python bench/bench.py --large         # adds a 100M-transaction aggregation (out of core)
    python bench/bench.py --tasks sweep   # only the k sweep (tasks: aggregate, sweep, run)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = dt.date(2026, 1, 1)
CHANNELS = np.array(["store", "web", "app", "mini_program"])
TASKS = ("aggregate", "sweep", "run")
CATEGORIES = np.array(["apparel", "beauty", "electronics", "grocery", "home", "kids", "sports_health", "luxury"])


def make_log(path: Path, rows: int, seed: int = 0, chunk: int = 5_000_000) -> Path:
    """A clean transaction log (line grain) in Parquet, written in chunks to bound memory."""
    rng = np.random.default_rng(seed)
    customers = max(rows // 20, 1000)
    start = np.datetime64("2023-01-01T00:00:00")
    span = int((np.datetime64("2025-12-31T23:59:59") - start).astype("int64"))
    writer = None
    for offset in range(0, rows, chunk):
        n = min(chunk, rows - offset)
        order = (offset + np.arange(n)) // 2  # two lines per order
        returned = rng.random(n) < 0.05
        qty = rng.integers(1, 4, n).astype("float64") * np.where(returned, -1, 1)
        price = np.round(rng.lognormal(4, 0.6, n), 2)
        discount = np.where(rng.random(n) < 0.2, np.round(price * 0.1, 2), 0.0) * np.sign(qty)
        table = pa.table({
            "order_id": pa.array(np.char.add("O", order.astype("str"))),
            "line_no": pa.array(np.ones(n, dtype="int64")),
            "customer_id": pa.array(np.char.add("C", rng.integers(0, customers, n).astype("str"))),
            "order_ts": pa.array(start + rng.integers(0, span, n).astype("timedelta64[s]")),
            "channel": pa.array(CHANNELS[rng.integers(0, len(CHANNELS), n)]),
            "status": pa.array(np.where(returned, "returned", "completed")),
            "category": pa.array(CATEGORIES[rng.integers(0, len(CATEGORIES), n)]),
            "quantity": pa.array(qty), "unit_price": pa.array(price), "discount": pa.array(discount),
            "amount": pa.array(qty * price - discount),
        })
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()
    return path


# --- the contenders -------------------------------------------------------------------------------

def custseg_features(path: str) -> int:
    from custseg import collect, features

    con = collect.connect()
    return len(features.behaviour(con.read_parquet(path), SNAPSHOT))


def duckdb_sql(path: str) -> int:
    """Hand-written SQL for the same per-customer features as custseg (RFM, behaviour, shares)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '4GB'")
    shares_ch = ", ".join(f"count(DISTINCT order_id) FILTER (WHERE channel = '{c}') / count(DISTINCT order_id) "
                          f"AS share_channel_{c}" for c in CHANNELS)
    shares_cat = ", ".join(f"coalesce(sum(amount) FILTER (WHERE category = '{c}'), 0) / sum(amount) "
                           f"AS share_cat_{c}" for c in CATEGORIES)
    sql = f"""
    WITH t AS (SELECT *, status = 'returned' OR quantity < 0 AS is_return FROM read_parquet('{path}')),
    buys AS (
      SELECT customer_id, count(DISTINCT order_id) AS frequency, min(order_ts) AS first_purchase,
             max(order_ts) AS last_purchase, sum(amount) AS gross_spend, sum(quantity * unit_price) AS list_value,
             sum(discount) AS discount_total, {shares_ch}, {shares_cat}
      FROM t WHERE NOT is_return GROUP BY customer_id),
    rets AS (SELECT customer_id, -sum(amount) AS returned_amount FROM t WHERE is_return GROUP BY customer_id)
    SELECT b.*, coalesce(r.returned_amount, 0) AS returned_amount,
           date_diff('day', b.last_purchase::date, DATE '{SNAPSHOT}') AS recency_days,
           date_diff('day', b.first_purchase::date, DATE '{SNAPSHOT}') AS tenure_days,
           b.gross_spend - coalesce(r.returned_amount, 0) AS monetary,
           b.gross_spend / b.frequency AS avg_order_value,
           CASE WHEN b.frequency > 1 THEN date_diff('day', b.first_purchase::date, b.last_purchase::date)
                / (b.frequency - 1) END AS interpurchase_days,
           coalesce(r.returned_amount, 0) / b.gross_spend AS return_rate,
           b.discount_total / b.list_value AS discount_share
    FROM buys b LEFT JOIN rets r USING (customer_id) ORDER BY customer_id
    """
    return len(con.execute(sql).df())


def tutorial_pandas(path: str) -> int:
    """RFM the way blog posts write it: read everything into pandas, groupby with lambdas."""
    df = pd.read_parquet(path)
    snapshot = pd.Timestamp(SNAPSHOT)
    rfm = df.groupby("customer_id").agg({
        "order_ts": lambda x: (snapshot - x.max()).days,
        "order_id": lambda x: len(x.unique()),
        "amount": lambda x: x.sum(),
    })
    return len(rfm)


def k_sweep(n_customers: int) -> int:
    from sklearn.datasets import make_blobs

    from custseg import cluster

    x, _ = make_blobs(n_samples=n_customers, centers=6, n_features=6, random_state=0)
    table = cluster.sweep(x, range(2, 11), silhouette_sample=10_000, progress=False)
    return len(table)


def demo_run(workdir: str) -> int:
    from custseg import run

    run.run(ROOT / "configs" / "demo.yaml", "bench", workdir=workdir, progress=False)
    return 1


# --- measuring ------------------------------------------------------------------------------------

def _child(fn, arg, queue) -> None:
    t0 = time.perf_counter()
    fn(arg)
    elapsed = time.perf_counter() - t0
    queue.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(fn, arg, repeats: int) -> dict:
    """Median wall time and peak RSS (MiB) over ``repeats`` runs, each in a fresh process."""
    times, peaks = [], []
    ctx = mp.get_context("spawn")
    for _ in range(repeats):
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(fn, arg, queue))
        proc.start()
        elapsed, peak = queue.get()
        proc.join()
        times.append(elapsed)
        peaks.append(peak)
    return {"median_s": round(statistics.median(times), 2), "peak_mib": round(max(peaks)), "runs": repeats}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (harness check)")
    parser.add_argument("--large", action="store_true", help="add a 100M-transaction aggregation")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS), help="what to measure")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench"))
    args = parser.parse_args(argv)

    log_sizes = [100_000, 1_000_000] if args.quick else [1_000_000, 10_000_000]
    if args.large:
        log_sizes.append(100_000_000)
    sweep_sizes = [20_000, 100_000] if args.quick else [100_000, 1_000_000]
    if "aggregate" not in args.tasks:
        log_sizes = []
    if "sweep" not in args.tasks:
        sweep_sizes = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="custseg-bench-") as tmp:
        for size in log_sizes:
            path = str(make_log(Path(tmp) / f"log_{size}.parquet", size))
            contenders = [("custseg features (Ibis/DuckDB)", custseg_features),
                          ("hand-written DuckDB SQL", duckdb_sql)]
            if size <= 10_000_000:
                contenders.append(("tutorial pandas (lambdas, RFM only)", tutorial_pandas))
            for name, fn in contenders:
                repeats = 1 if fn is tutorial_pandas and size > 1_000_000 else args.repeats
                result = measure(fn, path, repeats)
                rows.append({"task": f"aggregate {size:,} transactions", "contender": name, **result})
                print(rows[-1], flush=True)
        for n in sweep_sizes:
            rows.append({"task": f"k sweep 2..10, {n:,} customers", "contender": "custseg cluster.sweep",
                         **measure(k_sweep, n, 1 if n >= 1_000_000 else args.repeats)})
            print(rows[-1], flush=True)
        if not args.quick and "run" in args.tasks:
            rows.append({"task": "custseg run configs/demo.yaml", "contender": "6 notebooks via papermill",
                         **measure(demo_run, tmp, 1)})
            print(rows[-1], flush=True)

    table = pd.DataFrame(rows)
    base = table[table["contender"] == "hand-written DuckDB SQL"].set_index("task")["median_s"] if rows else {}
    table["vs_duckdb_sql"] = [round(t / base[task], 2) if task in base else None
                              for task, t in zip(table["task"], table["median_s"], strict=True)]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(rows, indent=2))
    markdown = table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False)
    (out / "bench.md").write_text(markdown + "\n")
    print(markdown)
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())

"""custseg benchmark (`make bench`): measures, side by side and as ratios,

1. per-customer feature aggregation over a transaction log in Parquet:
   custseg (`features.behaviour`, Ibis on DuckDB) vs hand-written DuckDB SQL computing the same
   features vs "tutorial" pandas (groupby + lambdas, as blog posts do — RFM only);
2. the clustering k sweep (k = 3..8, with the predictive usefulness) on synthetic customer tables;
3. the whole `custseg run` on the demo config (and, with --large, on the 100M-transaction log), then
   `custseg run --from 05_cluster` with another k in the same work dir (reusing stages 01-04);
4. per-segment association rules (08_target's offers: pair counts of the order baskets in the engine) on
   the 10M-line log, for the whole base and for six segments.

Each measurement runs in a fresh process and is repeated; the table reports the median time and the
peak memory: the largest resident set of that process or of any process it started (DuckDB's native
memory is in the process; the notebook kernels of `custseg run` are its children). Results go to
reports/bench/. Generated logs are kept in data/interim/bench/ for the next run (`make clean` removes them).

    python bench/bench.py                 # 1M and 10M transactions, 100k and 1M customers, demo run
    python bench/bench.py --quick         # small sizes, to check the harness
    python bench/bench.py --large         # adds 100M transactions: the aggregation and a whole custseg run
    python bench/bench.py --tasks sweep   # only the k sweep (tasks: aggregate, sweep, run, table, offers)
    python bench/bench.py --tasks aggregate --rows 100000000 --repeats 1   # one size only
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
from queue import Empty

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "data" / "interim" / "bench" / "v2"  # v2: an order belongs to one customer
SNAPSHOT = dt.date(2026, 1, 1)
CHANNELS = np.array(["store", "web", "app", "mini_program"])
TASKS = ("aggregate", "sweep", "run", "table", "offers")
OFFERS = "custseg offers.rules (Ibis/DuckDB), base + 6 segments"
CUSTSEG, SQL = "custseg features (Ibis/DuckDB)", "hand-written DuckDB SQL"
PANDAS = "tutorial pandas (lambdas, RFM only)"
DEMO_RUN = "custseg run configs/demo.yaml"
TABLE_RUN = "custseg run of a customer table (no log)"
DEMO_CLUSTER = "05_cluster within that demo run (choosing k, fitting, stability)"
RERUN_K = 5  # the k the re-run sets (the demo's own choice is made by the sweep)
DEMO_RERUN = f"custseg run configs/demo.yaml --from 05 --set cluster.k={RERUN_K} (after a full run)"
CATEGORIES = np.array(["apparel", "beauty", "electronics", "grocery", "home", "kids", "sports_health", "luxury"])


def make_log(path: Path, rows: int, seed: int = 0, chunk: int = 5_000_000) -> Path:
    """A clean transaction log in Parquet: orders of two lines (one customer, time and channel per order),
    about 20 lines per customer, 5 % of lines returned. Written in chunks to bound memory; an existing
    complete file is reused."""
    if chunk % 2:
        raise ValueError(f"chunk must be even, so that no order is split across chunks: {chunk}")
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    rng = np.random.default_rng(seed)
    customers = max(rows // 20, 1000)
    start = np.datetime64("2023-01-01T00:00:00")
    span = int((np.datetime64("2025-12-31T23:59:59") - start).astype("int64"))
    writer = None
    for offset in tqdm(range(0, rows, chunk), desc=f"generating {path.name}", unit="chunk", leave=False):
        n = min(chunk, rows - offset)
        line = offset + np.arange(n)
        order = line // 2  # two lines per order
        first = offset // 2
        of_order = order - first  # index into this chunk's orders
        n_orders = int(of_order[-1]) + 1
        buyer = rng.integers(0, customers, n_orders)
        placed = start + rng.integers(0, span, n_orders).astype("timedelta64[s]")
        via = CHANNELS[rng.integers(0, len(CHANNELS), n_orders)]
        returned = rng.random(n) < 0.05
        qty = rng.integers(1, 4, n).astype("float64") * np.where(returned, -1, 1)
        price = np.round(rng.lognormal(4, 0.6, n), 2)
        discount = np.where(rng.random(n) < 0.2, np.round(price * 0.1, 2), 0.0) * np.sign(qty)
        table = pa.table({
            "order_id": pa.array(np.char.add("O", order.astype("str"))),
            "line_no": pa.array(line % 2 + 1),
            "customer_id": pa.array(np.char.add("C", buyer.astype("str"))[of_order]),
            "order_ts": pa.array(placed[of_order]),
            "channel": pa.array(via[of_order]),
            "status": pa.array(np.where(returned, "returned", "completed")),
            "category": pa.array(CATEGORIES[rng.integers(0, len(CATEGORIES), n)]),
            "quantity": pa.array(qty), "unit_price": pa.array(price), "discount": pa.array(discount),
            "amount": pa.array(qty * price - discount),
        })
        writer = writer or pq.ParquetWriter(partial, table.schema)
        writer.write_table(table)
    writer.close()
    return partial.replace(path)


# --- the contenders -------------------------------------------------------------------------------

def custseg_features(path: str) -> int:
    from custseg import engine, features

    con = engine.connect()
    return len(features.behaviour(con.read_parquet(path), SNAPSHOT))


def duckdb_sql(path: str) -> int:
    """Hand-written SQL for the same per-customer features as custseg (RFM, behaviour, shares)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '4GB'")
    con.execute("SET enable_progress_bar = false")  # as custseg outside JupyterLab
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


def basket_rules(path: str) -> int:
    """08_target's association rules on a log: the whole base's and per segment (six segments by customer id)."""
    from custseg import engine, offers

    con = engine.connect()
    log = con.read_parquet(path)
    baskets = offers.baskets(log, "category")
    ids = log.select("customer_id").distinct().to_pandas()
    segments = ids.assign(segment=ids["customer_id"].str[1:].astype("int64") % 6)
    base = offers.rules(baskets, None, min_support=0.001, min_confidence=0.01, min_baskets=20)
    per = offers.rules(baskets, segments, min_support=0.001, min_confidence=0.01, min_baskets=20)
    return len(base) + len(per)


def k_sweep(n_customers: int) -> int:
    from sklearn.datasets import make_blobs

    from custseg import cluster

    x, _ = make_blobs(n_samples=n_customers, centers=6, n_features=6, random_state=0)
    early, group = make_blobs(n_samples=n_customers, centers=6, n_features=6, random_state=1)
    later = group + np.random.default_rng(0).normal(0, 1, n_customers)  # what the early customers did next
    table = cluster.sweep(x, range(3, 9), progress=False, early=early, later=later)
    return len(table)


def whole_run(config_and_workdir: tuple[str, str]) -> int:
    from custseg.report import runner

    config, workdir = config_and_workdir
    reports = runner.run(config, workdir=workdir, progress=False)
    return json.loads((reports / "run.json").read_text())["row_counts"]["customers_segmented"]


def rerun_from_cluster(config_and_workdir: tuple[str, str]) -> int:
    """`--from 05_cluster` with another k, in the work dir of a full run of the same config."""
    from custseg.report import runner

    config, workdir = config_and_workdir
    reports = runner.run(config, workdir=workdir, overrides={"cluster.k": RERUN_K}, progress=False, start=5)
    return json.loads((reports / "run.json").read_text())["row_counts"]["customers_segmented"]


def log_config(log: Path, folder: Path) -> Path:
    """A run config for a generated log: one Parquet source, no CRM, clustering on behaviour and shares."""
    cfg = {"name": log.stem, "description": f"benchmark log {log.name}", "paths": {"raw": str(log.parent)},
           "demo": {"enabled": False}, "sources": {"transactions": {"kind": "parquet", "path": log.name}},
           "privacy": {"pii_columns": []},
           "cluster": {"features": ["recency_days", "frequency", "monetary", "avg_order_value", "discount_share",
                                    "share_channel_*", "share_cat_*"], "k_max": 8}}
    path = folder / f"{log.stem}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def make_table(path: Path, n: int, seed: int = 0) -> Path:
    """A customer table of ``n`` subscribers with 30 attributes: the subscribers example's 20 (Yes/No
    services, contract, payment, charges, churn) and 10 usage columns (numbers, a region, a device)."""
    from custseg import demo

    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    table = demo.subscribers(n, seed)
    usage = {f"usage_{name}": rng.gamma(2.0, scale, len(table)).round(1)
             for name, scale in [("calls", 30), ("minutes", 200), ("data_gb", 4), ("sms", 20), ("roaming_days", 1),
                                 ("support_calls", 0.5), ("app_logins", 12), ("late_payments", 0.3)]}
    table = table.assign(**usage, region=rng.choice(["north", "south", "east", "west", "central"], len(table)),
                         device=rng.choice(["android", "ios", "feature phone"], len(table), p=[0.6, 0.3, 0.1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return path


def table_config(csv: Path, folder: Path) -> Path:
    """A run config for a generated customer table: no transaction log, churn as the outcome."""
    cfg = {"name": csv.stem, "description": f"benchmark customer table {csv.name}", "paths": {"raw": str(csv.parent)},
           "demo": {"enabled": False},
           "sources": {"customers": {"kind": "csv", "path": csv.name, "columns": {"customer_id": "customerID"}}},
           "privacy": {"pii_columns": []}, "outcomes": ["Churn"]}
    path = folder / f"{csv.stem}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


# --- measuring ------------------------------------------------------------------------------------

def _child(fn, arg, queue) -> None:
    t0 = time.perf_counter()
    try:
        rows_out = fn(arg)
    except Exception as err:  # noqa: BLE001 - reported in the table, the other measurements go on
        queue.put(f"{type(err).__name__}: {str(err).splitlines()[0][:200]}")
        return
    elapsed = time.perf_counter() - t0
    queue.put((elapsed, max(_own_peak_kib(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, rows_out))


def _own_peak_kib() -> int:
    """This process's peak resident set (VmHWM). Not ``ru_maxrss``: Linux carries that across exec, so a
    spawned process would report its parent's peak (the bench process that generated the logs)."""
    status_file = Path("/proc/self/status")
    if not status_file.exists():  # macOS: no /proc, ru_maxrss in bytes and not carried across exec
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    status = status_file.read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def _one_run(fn, arg) -> tuple[float, float, int] | str:
    """(seconds, peak MiB, rows returned) of one run in a fresh process, or why it failed (an error, or
    killed: out of memory)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, arg, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except Empty:  # still running, or dead without a word
            if not proc.is_alive():
                result = f"process died (exit code {proc.exitcode}; out of memory?)"
                break
    proc.join()
    return result


def measure(fn, arg, repeats: int) -> dict:
    """Median wall time, peak RSS (MiB) and rows returned (customers, for an aggregation) over ``repeats``
    runs, each in a fresh process."""
    times, peaks = [], []
    for _ in range(repeats):
        result = _one_run(fn, arg)
        if isinstance(result, str):
            return {"median_s": None, "peak_mib": None, "runs": len(times), "error": result}
        elapsed, peak, rows_out = result
        times.append(elapsed)
        peaks.append(peak)
    return {"median_s": round(statistics.median(times), 2), "peak_mib": round(max(peaks)), "runs": repeats,
            "rows_out": rows_out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (harness check)")
    parser.add_argument("--large", action="store_true",
                        help="add the aggregation and a whole custseg run on a larger log (out of core)")
    parser.add_argument("--large-rows", type=int, default=100_000_000, help="transactions of the larger log")
    parser.add_argument("--rows", type=int, nargs="+", help="log sizes to aggregate (replace the defaults)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS), help="what to measure")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench"))
    args = parser.parse_args(argv)

    log_sizes = args.rows or ([100_000, 1_000_000] if args.quick else [1_000_000, 10_000_000])
    if args.large:
        log_sizes = sorted({*log_sizes, args.large_rows})
    sweep_sizes = [20_000, 100_000] if args.quick else [100_000, 1_000_000]
    if "aggregate" not in args.tasks:
        log_sizes = []
    if "sweep" not in args.tasks:
        sweep_sizes = []
    offer_rows = (1_000_000 if args.quick else 10_000_000) if "offers" in args.tasks else None
    rows = []
    with tempfile.TemporaryDirectory(prefix="custseg-bench-") as tmp:
        for size in log_sizes:
            path = str(make_log(LOGS / f"log_{size}.parquet", size))
            contenders = [(CUSTSEG, custseg_features), (SQL, duckdb_sql)]
            if size <= 10_000_000:
                contenders.append((PANDAS, tutorial_pandas))
            for name, fn in contenders:
                repeats = 1 if fn is tutorial_pandas and size > 1_000_000 else args.repeats
                result = measure(fn, path, repeats)
                rows.append({"task": f"aggregate {size:,} transactions", "contender": name, **result})
                print(rows[-1], flush=True)
        for n in sweep_sizes:
            rows.append({"task": f"k sweep 3..8, {n:,} customers", "contender": "custseg cluster.sweep",
                         **measure(k_sweep, n, 1 if n >= 1_000_000 else args.repeats)})
            print(rows[-1], flush=True)
        if "run" in args.tasks:
            from custseg.report import runner

            books = f"{len(runner.notebooks())} notebooks via papermill"
            runs = [] if args.quick else [(DEMO_RUN, ROOT / "configs" / "demo.yaml")]
            if args.large:
                log = make_log(LOGS / f"log_{args.large_rows}.parquet", args.large_rows)
                runs.append((f"custseg run, {args.large_rows:,} transactions", log_config(log, Path(tmp))))
            for task, config in runs:
                rows.append({"task": task, "contender": books, **measure(whole_run, (str(config), tmp), 1)})
                print(rows[-1], flush=True)
                if task == DEMO_RUN:  # the same work dir now holds a full run to re-run from
                    record = json.loads((Path(tmp) / "data" / "processed" / "demo" / "stages" / "05_cluster.json")
                                        .read_text())
                    rows.append({"task": DEMO_CLUSTER, "contender": "its stage record", "runs": 1,
                                 "median_s": record["seconds"], "rows_out": record["metrics"]["customers"]})
                    print(rows[-1], flush=True)
                    rows.append({"task": DEMO_RERUN, "contender": "custseg run --from",
                                 **measure(rerun_from_cluster, (str(config), tmp), 1)})
                    print(rows[-1], flush=True)

        if offer_rows:
            path = str(make_log(LOGS / f"log_{offer_rows}.parquet", offer_rows))
            rows.append({"task": f"association rules, {offer_rows:,} transactions", "contender": OFFERS,
                         **measure(basket_rules, path, args.repeats)})
            print(rows[-1], flush=True)
        if "table" in args.tasks:
            from custseg.report import runner

            n = 50_000 if args.quick else 1_000_000
            csv = make_table(LOGS / f"customers_{n}.csv", n)
            rows.append({"task": f"{TABLE_RUN}, {n:,} customers x 30 attributes",
                         "contender": f"{len(runner.notebooks())} notebooks via papermill",
                         **measure(whole_run, (str(table_config(csv, Path(tmp))), tmp), 1)})
            print(rows[-1], flush=True)

    table = with_ratios(pd.DataFrame(rows))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(rows, indent=2))
    markdown = table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False)
    verdicts = "\n".join(f"- {line}" for line in targets(table) or
                         ["none at these sizes (the targets are for 10M lines, 1M customers and the demo run)"])
    (out / "bench.md").write_text(f"{markdown}\n\nTargets:\n{verdicts}\n")
    print(markdown, "\nTargets:", verdicts, sep="\n")
    return 0


def with_ratios(table: pd.DataFrame) -> pd.DataFrame:
    """Each time divided by the hand-written SQL's and by custseg's on the same task."""
    if table.empty:
        return table
    for column, contender in (("vs_duckdb_sql", SQL), ("vs_custseg", CUSTSEG)):
        base = table[table["contender"] == contender].set_index("task")["median_s"]
        table[column] = [round(t / base[task], 2) if task in base and t and base[task] else None
                         for task, t in zip(table["task"], table["median_s"], strict=True)]
    return table


def targets(table: pd.DataFrame) -> list[str]:
    """The issue's targets, each met or missed, for the rows this run measured."""
    def time_of(task: str, contender: str | None = None) -> float | None:
        hit = table[(table["task"] == task) & ((table["contender"] == contender) if contender else True)]
        return None if hit.empty else hit["median_s"].iloc[0]

    verdict = lambda ok: "met" if ok else "**missed**"  # noqa: E731
    out = []
    agg = "aggregate 10,000,000 transactions"
    custseg, sql, pandas = time_of(agg, CUSTSEG), time_of(agg, SQL), time_of(agg, PANDAS)
    if custseg and sql:
        out.append(f"10M aggregation within 1.5x of hand-written SQL: {custseg / sql:.2f}x, "
                   f"{verdict(custseg <= 1.5 * sql)}")
    if custseg and pandas:
        out.append(f"10M aggregation >= 10x faster than tutorial pandas: {pandas / custseg:.1f}x, "
                   f"{verdict(pandas >= 10 * custseg)}")
    if sweep := time_of("k sweep 3..8, 1,000,000 customers"):
        out.append(f"k sweep on 1M customers <= 60 s: {sweep:.0f} s, {verdict(sweep <= 60)}")
    if demo := time_of(DEMO_RUN):
        out.append(f"whole demo run <= 2 min: {demo:.0f} s, {verdict(demo <= 120)}")
        if cluster_s := time_of(DEMO_CLUSTER):
            out.append(f"05_cluster share of the demo run (55-60 % before the choice of k by usefulness; not "
                       f"slower): {cluster_s / demo:.0%}, {verdict(cluster_s / demo <= 0.6)}")
        if rerun := time_of(DEMO_RERUN):
            out.append(f"re-run from 05 after changing k <= 40 % of a full run: {rerun / demo:.0%}, "
                       f"{verdict(rerun <= 0.4 * demo)}")
    return out


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())

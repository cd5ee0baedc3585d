"""custseg benchmark (`make bench`): measures, side by side and as ratios,

1. per-customer feature aggregation over a transaction log in Parquet:
   custseg (`features.behaviour`, Ibis on DuckDB) vs hand-written DuckDB SQL computing the same
   features vs polars (lazy, streaming; the same features) vs "tutorial" pandas (groupby + lambdas, as blog
   posts do — RFM only) vs custseg's own features on local Spark (when pyspark and Java are installed; up to
   10M lines); the SQL, polars and Spark are first checked to give custseg's customers and values;
2. the clustering k sweep (k = 3..8, with the predictive usefulness) on synthetic customer tables;
3. the whole `custseg run` on the demo config (and, with --large, on the 100M-transaction log), then
   `custseg run --from 05_cluster` with another k in the same work dir (reusing stages 01-04);
4. per-segment association rules (08_target's offers: pair counts of the order baskets in the engine) on
   the 10M-line log, for the whole base and for six segments;
5. the cost curve: the whole run on the logs of each aggregation size too, and time and peak memory against
   lines for every contender, log-log (reports/bench/cost_curve.png), with the slopes; a per-stage table of
   seconds and peak memory from the stage records of every whole run.

Each measurement runs in a fresh process and is repeated; the table reports the median time and the
peak memory: the largest resident set of that process or of any process it started (DuckDB's native
memory is in the process; the notebook kernels of `custseg run` are its children). Results go to
reports/bench/. Generated logs are kept in data/interim/bench/ for the next run (`make clean` removes them).

    python bench/bench.py                 # 1M and 10M transactions, 100k and 1M customers, demo run
    python bench/bench.py --quick         # small sizes, to check the harness
    python bench/bench.py --large         # adds 100M transactions: the aggregation and a whole custseg run
    python bench/bench.py --tasks sweep   # only the k sweep (tasks: aggregate, sweep, run, table, offers, curve)
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
AGREE_ROWS = 1_000_000  # the agreement check holds every contender's features in one process: never 100M
CHANNELS = np.array(["store", "web", "app", "mini_program"])
TASKS = ("aggregate", "sweep", "run", "table", "offers", "curve")
OFFERS = "custseg offers.rules (Ibis/DuckDB), base + 6 segments"
CUSTSEG, SQL = "custseg features (Ibis/DuckDB)", "hand-written DuckDB SQL"
POLARS = "polars lazy (streaming), same features"
SPARK = "custseg features (Ibis/Spark local[2], session start included)"
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

def custseg_frame(path: str) -> pd.DataFrame:
    from custseg import engine, features

    con = engine.connect()
    return features.behaviour(con.read_parquet(path), SNAPSHOT)


def custseg_features(path: str) -> int:
    return len(custseg_frame(path))


def spark_frame(path: str) -> pd.DataFrame:
    """custseg's own features on a local Spark session (engine: pyspark) with the config's defaults: the same
    code as on DuckDB; the time includes starting the JVM and the session, as a user's first query does."""
    import ibis

    from custseg import config, engine, features

    session = engine.spark_session({**config.DEFAULTS["spark"], "conf": {"spark.driver.memory": "6g",
                                                                      "spark.ui.showConsoleProgress": "false"}})
    try:
        return features.behaviour(ibis.pyspark.connect(session).read_parquet(path), SNAPSHOT)
    finally:
        session.stop()


def spark_features(path: str) -> int:
    return len(spark_frame(path))


def has_spark() -> bool:
    """pyspark and Java are installed (``pip install -c requirements.lock -e '.[spark]'``; Java 17)."""
    import importlib.util
    import os
    import shutil

    return bool(importlib.util.find_spec("pyspark") and (os.environ.get("JAVA_HOME") or shutil.which("java")))


def duckdb_sql(path: str) -> int:
    return len(duckdb_frame(path))


def polars_lazy(path: str) -> int:
    return len(polars_frame(path))


def polars_frame(path: str) -> pd.DataFrame:
    """The same per-customer features as the hand-written SQL, with polars' lazy API on its streaming engine."""
    import polars as pl

    c = pl.col
    t = pl.scan_parquet(path).with_columns(is_return=(c("status") == "returned") | (c("quantity") < 0))
    buys = t.filter(~c("is_return")).group_by("customer_id").agg(
        frequency=c("order_id").n_unique(), first_purchase=c("order_ts").min(), last_purchase=c("order_ts").max(),
        gross_spend=c("amount").sum(), list_value=(c("quantity") * c("unit_price")).sum(),
        discount_total=c("discount").sum(),
        **{f"share_channel_{ch}": c("order_id").filter(c("channel") == ch).n_unique() for ch in CHANNELS},
        **{f"share_cat_{cat}": c("amount").filter(c("category") == cat).sum() for cat in CATEGORIES})
    rets = t.filter(c("is_return")).group_by("customer_id").agg(returned_amount=-c("amount").sum())
    days = lambda a, b: (b - a).dt.total_days()  # noqa: E731
    snapshot = pl.lit(SNAPSHOT)
    out = buys.join(rets, on="customer_id", how="left").with_columns(c("returned_amount").fill_null(0.0)).with_columns(
        recency_days=days(c("last_purchase").dt.date(), snapshot),
        tenure_days=days(c("first_purchase").dt.date(), snapshot),
        monetary=c("gross_spend") - c("returned_amount"),
        avg_order_value=c("gross_spend") / c("frequency"),
        interpurchase_days=pl.when(c("frequency") > 1).then(
            days(c("first_purchase").dt.date(), c("last_purchase").dt.date()) / (c("frequency") - 1)),
        return_rate=c("returned_amount") / c("gross_spend"),
        discount_share=c("discount_total") / c("list_value"),
        **{f"share_channel_{ch}": c(f"share_channel_{ch}") / c("frequency") for ch in CHANNELS},
        **{f"share_cat_{cat}": c(f"share_cat_{cat}") / c("gross_spend") for cat in CATEGORIES},
    ).sort("customer_id")
    return out.collect(engine="streaming").to_pandas()


# what every contender computes (tutorial pandas computes RFM only: recency and frequency are checked for it)
COMPARED = ("frequency", "gross_spend", "discount_total", "returned_amount", "recency_days", "tenure_days",
            "monetary", "avg_order_value", "interpurchase_days", "return_rate", "discount_share",
            *(f"share_channel_{ch}" for ch in CHANNELS), *(f"share_cat_{cat}" for cat in CATEGORIES))


def disagreements(path: str, spark: bool = False) -> list[str]:
    """Where the hand-written SQL or polars differ from custseg on a log (customers, or any compared value beyond
    a relative 1e-9): an empty list means every contender computed the same thing."""
    ours = custseg_frame(path).set_index("customer_id").sort_index()
    out = []
    rivals = [(SQL, duckdb_frame), (POLARS, polars_frame), *([(SPARK, spark_frame)] if spark else [])]
    for name, frame in ((name, make(path)) for name, make in rivals):
        theirs = frame.set_index("customer_id").sort_index()
        if not ours.index.equals(theirs.index):
            out.append(f"{name}: other customers ({len(theirs):,} vs {len(ours):,})")
            continue
        for column in COMPARED:
            a, b = ours[column].astype(float).to_numpy(), theirs[column].astype(float).to_numpy()
            if not np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True):
                out.append(f"{name}: {column} differs (largest gap {np.nanmax(np.abs(a - b)):.3g})")
    return out


def duckdb_frame(path: str) -> pd.DataFrame:
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
    return con.execute(sql).df()


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
    parser.add_argument("--no-spark", action="store_true", help="leave out the local Spark contender")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS), help="what to measure")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench"))
    args = parser.parse_args(argv)

    spark = has_spark() and not args.no_spark
    log_sizes = args.rows or ([100_000, 1_000_000] if args.quick else [1_000_000, 10_000_000])
    if args.large:
        log_sizes = sorted({*log_sizes, args.large_rows})
    sweep_sizes = [20_000, 100_000] if args.quick else [100_000, 1_000_000]
    if "aggregate" not in args.tasks:
        log_sizes = []
    if "sweep" not in args.tasks:
        sweep_sizes = []
    offer_rows = (1_000_000 if args.quick else 10_000_000) if "offers" in args.tasks else None
    rows, stages = [], []
    with tempfile.TemporaryDirectory(prefix="custseg-bench-") as tmp:
        if log_sizes:  # in this process, all contenders' frames at once: on a log that fits beside them
            checked = min(log_sizes[0], AGREE_ROWS)
            differ = disagreements(str(make_log(LOGS / f"log_{checked}.parquet", checked)), spark)
            rows.append({"task": f"the contenders agree on {checked:,} transactions", "contender": "all",
                         "error": "; ".join(differ) or None, "runs": 1})
            print("contenders agree" if not differ else differ, flush=True)
        for size in log_sizes:
            path = str(make_log(LOGS / f"log_{size}.parquet", size))
            contenders = [(CUSTSEG, custseg_features), (SQL, duckdb_sql), (POLARS, polars_lazy)]
            if spark and size <= 10_000_000:  # local Spark on 2 cores: a ratio, not a cluster's speed
                contenders.append((SPARK, spark_features))
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
            if "curve" in args.tasks:  # the whole run on the logs of the aggregation sizes too
                runs += [(f"custseg run, {n:,} transactions", log_config(LOGS / f"log_{n}.parquet", Path(tmp)))
                         for n in log_sizes if n != args.large_rows]
            for task, config in runs:
                rows.append({"task": task, "contender": books, **measure(whole_run, (str(config), tmp), 1)})
                print(rows[-1], flush=True)
                stages.append(stage_profile(task, Path(tmp)))
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
            task = f"{TABLE_RUN}, {n:,} customers x 30 attributes"
            rows.append({"task": task, "contender": f"{len(runner.notebooks())} notebooks via papermill",
                         **measure(whole_run, (str(table_config(csv, Path(tmp))), tmp), 1)})
            print(rows[-1], flush=True)
            stages.append(stage_profile(task, Path(tmp)))

    table = with_ratios(pd.DataFrame(rows))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(rows, indent=2))
    markdown = table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False)
    verdicts = "\n".join(f"- {line}" for line in targets(table) or
                         ["none at these sizes (the targets are for 10M lines, 1M customers and the demo run)"])
    profile = pd.concat(stages, ignore_index=True) if stages else pd.DataFrame()
    per_stage = ("\n\nPer stage (seconds from the stage records; peak MiB of the stage's notebook kernel):\n\n"
                 + (profile.to_markdown(index=False) if _has_tabulate() else profile.to_string(index=False))
                 if len(profile) else "")
    curve = cost_curve(table, out / "cost_curve.png")
    slopes = "".join(f"\n- {line}" for line in curve)
    (out / "bench.md").write_text(f"{markdown}\n\nTargets:\n{verdicts}{per_stage}\n"
                                  + (f"\nCost curve (reports/bench/cost_curve.png), log-log slopes:{slopes}\n"
                                     if curve else ""))
    print(markdown, "\nTargets:", verdicts, per_stage, *(["\nCost curve slopes:", slopes] if curve else []),
          sep="\n")
    return 0


def stage_profile(task: str, workdir: Path) -> pd.DataFrame:
    """Seconds and peak memory of each stage of the run ``task`` just made in ``workdir``, from its stage records
    (the run folder written last: each task runs under its own name)."""
    folders = [d.parent for d in workdir.glob("data/processed/*/stages") if any(d.glob("*.json"))]
    if not folders:
        return pd.DataFrame()
    newest = max(folders, key=lambda d: max(f.stat().st_mtime for f in (d / "stages").glob("*.json")))
    run = [json.loads(f.read_text()) for f in sorted((newest / "stages").glob("*.json"))]
    return pd.DataFrame([{"task": task, "stage": r["stage"], "seconds": r["seconds"], "peak_mib": r.get("peak_mib")}
                         for r in run])


def cost_curve(table: pd.DataFrame, figure: Path) -> list[str]:
    """Time and peak memory against transactions for every contender of the aggregation and for the whole run,
    log-log, in one figure; returns each series' slope (1.0: linear growth). Nothing when fewer than two sizes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sized = table.assign(lines=table["task"].str.extract(r"([\d,]+) transactions")[0].str.replace(",", "")
                         .astype(float))
    sized = sized[sized["lines"].notna() & sized["median_s"].notna() & ~sized["task"].str.startswith("association")
                  & ~sized["task"].str.contains("agree")]
    sized = sized.assign(series=np.where(sized["task"].str.startswith("aggregate"), sized["contender"],
                                         "custseg run (whole pipeline)"))
    series = {name: g.sort_values("lines") for name, g in sized.groupby("series") if g["lines"].nunique() > 1}
    if not series:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    lines = []
    for name, g in series.items():
        slope = np.polyfit(np.log10(g["lines"]), np.log10(g["median_s"]), 1)[0]
        lines.append(f"{name}: time x{10 ** slope:.1f} per 10x lines (slope {slope:.2f})")
        axes[0].plot(g["lines"], g["median_s"], marker="o", label=f"{name} (slope {slope:.2f})")
        axes[1].plot(g["lines"], g["peak_mib"], marker="o", label=name)
    for ax, what in zip(axes, ("seconds (median)", "peak memory (MiB)"), strict=True):
        ax.set(xscale="log", yscale="log", xlabel="transactions (lines)", ylabel=what)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("How custseg grows against its rivals")
    fig.tight_layout()
    figure.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(figure, dpi=110)
    plt.close(fig)
    return lines


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
    """The targets of the performance issue, each met or missed, for the rows this run measured."""
    def row_of(task: str, contender: str | None = None) -> pd.Series | None:
        hit = table[(table["task"] == task) & ((table["contender"] == contender) if contender else True)]
        return None if hit.empty or pd.isna(hit["median_s"].iloc[0]) else hit.iloc[0]

    def time_of(task: str, contender: str | None = None) -> float | None:
        row = row_of(task, contender)
        return None if row is None else row["median_s"]

    verdict = lambda ok: "met" if ok else "**missed**"  # noqa: E731
    out = []
    agg = "aggregate 10,000,000 transactions"
    ours, rivals = row_of(agg, CUSTSEG), [r for r in (row_of(agg, SQL), row_of(agg, POLARS)) if r is not None]
    if ours is not None and rivals:
        best = min(rivals, key=lambda r: r["median_s"])
        out.append(f"10M aggregation <= 1.0x the faster of DuckDB SQL and polars ({best['contender']}): "
                   f"{ours['median_s'] / best['median_s']:.2f}x, {verdict(ours['median_s'] <= best['median_s'])}")
        if pd.notna(ours.get("peak_mib")) and pd.notna(best.get("peak_mib")):
            out.append(f"10M aggregation <= 1/2 its memory: {ours['peak_mib'] / best['peak_mib']:.2f}x, "
                       f"{verdict(ours['peak_mib'] <= 0.5 * best['peak_mib'])}")
    if ours is not None and (spark := row_of(agg, SPARK)) is not None:
        out.append(f"10M aggregation on local Spark (2 cores, session start included): "
                   f"{spark['median_s'] / ours['median_s']:.1f}x DuckDB's time (no target: Spark pays on a cluster)")
    custseg, pandas = time_of(agg, CUSTSEG), time_of(agg, PANDAS)
    if custseg and pandas:
        out.append(f"10M aggregation >= 10x faster than tutorial pandas: {pandas / custseg:.1f}x, "
                   f"{verdict(pandas >= 10 * custseg)}")
    if sweep := time_of("k sweep 3..8, 1,000,000 customers"):
        out.append(f"k sweep on 1M customers <= 60 s: {sweep:.0f} s, {verdict(sweep <= 60)}")
    if demo := time_of(DEMO_RUN):
        out.append(f"whole demo run <= 40 s: {demo:.0f} s, {verdict(demo <= 40)}")
        if rerun := time_of(DEMO_RERUN):
            out.append(f"re-run from 05 after changing k <= 35 % of a full run: {rerun / demo:.0%}, "
                       f"{verdict(rerun <= 0.35 * demo)}")
    table_run = table[table["task"].str.startswith(TABLE_RUN) & table["task"].str.contains("1,000,000")]
    if len(table_run) and pd.notna(seconds := table_run["median_s"].iloc[0]):
        out.append(f"customer table 1M x 30 attributes <= 90 s: {seconds:.0f} s, {verdict(seconds <= 90)}")
    large = table[table["task"] == "custseg run, 100,000,000 transactions"]
    if len(large) and pd.notna(seconds := large["median_s"].iloc[0]):
        out.append(f"whole run on 100M lines <= 15 min and <= 6 GB: {seconds / 60:.0f} min, "
                   f"{large['peak_mib'].iloc[0] / 1024:.1f} GB, "
                   f"{verdict(seconds <= 900 and large['peak_mib'].iloc[0] <= 6144)}")
    return out


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks of order_retention; prints its figures (it is not a test).

    python3 scripts/benchmark.py --section engine      # pure engine, no database
    make bench                                          # engine + the cycle inside Odoo (scripts/bench.sh)

Sections:
  engine  synthetic histories (default 100,000 customers x 10 orders): engine wall time and peak
          memory (tracemalloc peak of Python allocations incl. numpy/pandas buffers, and the
          process's peak RSS), plus the share of churned customers the engine flags lost.
  cycle   needs a database: see scripts/bench_cycle.py (called by scripts/bench.sh).
"""

import argparse
import datetime
import importlib.util
import os
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def load_engine():
    """Import the engine by file path: it must not need Odoo."""
    path = os.path.join(HERE, "..", "order_retention", "tools", "cadence.py")
    spec = importlib.util.spec_from_file_location("order_retention_cadence", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_backtest():
    """Import tools/backtest.py (and the engine beside it) as a package loaded by path, without Odoo."""
    tools = os.path.join(HERE, "..", "order_retention", "tools")
    spec = importlib.util.spec_from_file_location(
        "order_retention_tools", os.path.join(tools, "__init__.py"), submodule_search_locations=[tools]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    return importlib.import_module("order_retention_tools.backtest")


def describe_model(cadence, model, prefix="engine"):
    """Print what the churn model learned (or why it fell back)."""
    if not model.used:
        print(
            "%s: churn model not used (fallback to the rules: %s; %d origins, %d customers at the oldest, "
            "%d training rows)"
            % (prefix, model.fallback_reason, len(model.origins), model.customers_at_oldest, model.training_rows)
        )
        return
    print(
        "%s: churn model fitted in %.2f s on %d rows (%d without a later order) from origins s = %s days; "
        "%d customers at the oldest; training AUC %.3f"
        % (
            prefix,
            model.fit_seconds,
            model.training_rows,
            model.no_order_rows,
            ", ".join(str(s) for s in model.origins),
            model.customers_at_oldest,
            model.train_auc,
        )
    )
    print(
        "%s: standardised weights %s, intercept %.3f"
        % (
            prefix,
            ", ".join("%s %+.3f" % (name, w) for name, w in zip(model.feature_names, model.coefficients, strict=False)),
            model.intercept,
        )
    )
    print(
        "%s: t* %.3f -> lost from p >= %.3f; typical expected gap %.1f days"
        % (prefix, model.threshold, model.lost_threshold, model.typical_gap)
    )
    effects = cadence.churn_effects(model)
    print(
        "%s: odds of no order in %d days x%.2f per 100 more silent days, x%.2f per extra usual gap of silence, "
        "x%.2f for twice the past orders, x%.2f for twice the order amount"
        % (
            prefix,
            model.horizon_days,
            effects["silent_100_days"],
            effects["one_more_gap"],
            effects["orders_doubled"],
            effects["amount_doubled"],
        )
    )


def bench_backtest(orders, as_of, horizon_days=180):
    """Backtest the rules and the learned model on the synthetic base: classify as of
    ``as_of`` - horizon, compare with who ordered afterwards."""
    backtest = load_backtest()
    start = as_of - datetime.timedelta(days=horizon_days)
    per_status, metrics = backtest.backtest(orders, start, horizon_days)
    print(
        "backtest as of %s, horizon %d days: %d customers, %d did not order"
        % (start, horizon_days, metrics["customers"], metrics["no_order"])
    )
    print(
        "backtest: AUC rules %.3f, learned %.3f; lost precision rules %.2f / learned %.2f, "
        "recall rules %.2f / learned %.2f (model used: %s)"
        % (
            metrics["rule_auc"],
            metrics["auc"],
            metrics["rule_lost_precision"],
            metrics["lost_precision"],
            metrics["rule_lost_recall"],
            metrics["lost_recall"],
            metrics["model_used"],
        )
    )
    for status, row in per_status.iterrows():
        print(
            "backtest: %-6s rules %6d customers, %5.1f %% ordered | learned %6d customers, %5.1f %% ordered"
            % (
                status,
                row["rule_customers"],
                100 * np.nan_to_num(row["rule_order_rate"]),
                row["customers"],
                100 * np.nan_to_num(row["order_rate"]),
            )
        )


def synthetic_orders(n_customers, orders_per_customer, as_of, seed=1, churn=0.3):
    """Order histories: per customer a log-normal rhythm around 30 days with its own dispersion and
    a geometric number of purchase occasions (at least 1, mean ``orders_per_customer``; a fixed
    count would tell a model who has stopped: only those reach it); ``churn`` of them stopped
    ordering 100-600 days before ``as_of``, the others are silent for less than their rhythm.
    Returns (orders, churned ids)."""
    rng = np.random.default_rng(seed)
    rhythm = np.exp(rng.normal(np.log(30), 0.5, n_customers))
    spread = rng.uniform(0.15, 0.6, n_customers)
    counts = rng.geometric(1.0 / orders_per_customer, n_customers)
    cust = np.repeat(np.arange(n_customers), counts)
    first = np.cumsum(counts) - counts  # index of each customer's first order
    gaps = rng.lognormal(np.log(rhythm[cust]), spread[cust])
    gaps[first] = 0.0  # no gap before the first order
    cum = np.cumsum(gaps)
    after = cum[first + counts - 1][cust] - cum  # days from each order to the customer's last one
    churned = rng.random(n_customers) < churn
    silence = np.where(churned, rng.integers(100, 600, n_customers), (rng.random(n_customers) * rhythm).astype(int))
    dates = np.datetime64(as_of) - (silence[cust] + np.rint(after).astype("int64")).astype("timedelta64[D]")
    ids = np.arange(1, n_customers + 1)
    orders = pd.DataFrame(
        {
            "partner_id": ids[cust],
            "date": dates,
            "amount": rng.gamma(2.0, 250.0, len(cust)),
            "peer_group": rng.integers(1, 6, n_customers)[cust],
        }
    )
    return orders, ids[churned]


def bench_engine(n_customers=100_000, orders_per_customer=10):
    cadence = load_engine()
    as_of = datetime.date(2026, 6, 30)
    orders, churned = synthetic_orders(n_customers, orders_per_customer, as_of)
    print(
        "engine: %d customers, %d orders (mean %.1f per customer, %d with one order)"
        % (n_customers, len(orders), len(orders) / n_customers, int((orders.groupby("partner_id").size() == 1).sum()))
    )
    cadence.compute_cadence(orders.head(2000), as_of)  # warm-up (imports, scipy)
    timings = []
    for _run in range(3):  # best of three: the machine is shared
        start = time.perf_counter()
        result = cadence.compute_cadence(orders, as_of)
        timings.append(time.perf_counter() - start)
    elapsed = min(timings)
    tracemalloc.start()  # a separate run: tracing slows the engine several times
    cadence.compute_cadence(orders, as_of)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        "engine: %d customers, %d orders: %.2f s best of 3 (runs %s; target <= 2 s), "
        "peak %.0f MB traced, process peak RSS %.0f MB"
        % (n_customers, len(orders), elapsed, ", ".join("%.2f" % t for t in timings), peak / 2**20, rss)
    )
    # the nightly run's way: shards of 100k customers, base-wide figures fitted once, scored by chunks
    shard = 100_000
    ids = orders["partner_id"].to_numpy()
    tracemalloc.start()
    start = time.perf_counter()
    shards = cadence.CadenceShards(as_of, expected_customers=n_customers)
    for low in range(0, int(ids.max()) + 1, shard):
        shards.add(orders[(ids >= low) & (ids < low + shard)])
    shards.fit()
    scored = sum(len(chunk) for chunk in shards.score(shard))
    sharded_elapsed = time.perf_counter() - start
    _current, sharded_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        "engine in shards of %d customers (CadenceShards, traced): %d customers in %.2f s, peak %.0f MB traced "
        "beyond the input (one run over the whole base: %.0f MB)"
        % (shard, scored, sharded_elapsed, sharded_peak / 2**20, peak / 2**20)
    )
    del shards
    print("engine: statuses %s" % result["status"].value_counts().to_dict())
    lost = set(result.index[result["status"] == "lost"])
    churned = set(churned.tolist())
    if lost:
        print(
            "engine: lost flag vs churned (silent 100-600 days): precision %.2f, recall %.2f"
            % (len(lost & churned) / len(lost), len(lost & churned) / max(len(churned), 1))
        )
    missing = result["missing_order"]
    print("engine: missing-order alerts %d (%.1f %% of customers)" % (missing.sum(), 100 * missing.mean()))
    describe_model(cadence, result.attrs["churn_model"])
    print(
        "engine: annual value %.0f, value at risk %.0f (%.1f %%)"
        % (
            result["annual_value"].sum(),
            result["value_at_risk"].sum(),
            100 * result["value_at_risk"].sum() / max(result["annual_value"].sum(), 1e-9),
        )
    )
    bench_backtest(orders, as_of)
    return elapsed


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--section", choices=["engine", "all"], default="engine")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=10, help="orders per customer")
    args = parser.parse_args(argv)
    bench_engine(args.customers, args.orders)


if __name__ == "__main__":
    main(sys.argv[1:])

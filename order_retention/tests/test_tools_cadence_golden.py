"""Golden figures of the engine: compute_cadence's and CadenceShards' full result frames on one fixed,
seeded history, recorded before the engine was split into modules (issue #23), so that a refactoring
that changes any figure fails here, column by column.

The fixtures in tests/data/ were written by ``write_golden()``; rewrite them only for a change of the
engine that is meant to move the figures (and say so in the commit)."""

import datetime
import json
import os

import numpy as np
import pandas as pd

from odoo.tests import BaseCase, tagged

from ..tools import cadence

AS_OF = datetime.date(2026, 1, 31)
DATA = os.path.join(os.path.dirname(__file__), "data")
SINGLE_CSV = os.path.join(DATA, "cadence_golden.csv")
SHARDS_CSV = os.path.join(DATA, "cadence_golden_shards.csv")
MODELS_JSON = os.path.join(DATA, "cadence_golden_models.json")
# a base of 160 customers is too small for the churn model's default of 200 customers at the oldest origin:
# lower it so that the learned model, its threshold and the sampled regression of the shards are exercised
PARAMS = {"churn_min_customers": 60}
SHARD_PARAMS = {"churn_min_customers": 60, "churn_sample_customers": 120}
DATE_COLUMNS = ["first_order_date", "last_order_date", "expected_next_date", "warning_date"]


def golden_orders(customers=160, seed=20260131):
    """Order histories with every case the engine distinguishes: regular, churned and one-order
    customers, orders at any hour (two on one day: one occasion), NaN amounts, four peer groups
    (one too small to be used) and customers without one, orders after as_of (ignored)."""
    rng = np.random.default_rng(seed)
    rows = []
    noon = datetime.datetime.combine(AS_OF, datetime.time(12))
    for pid in rng.permutation(np.arange(1, customers + 1) * 3):
        gap = float(rng.lognormal(np.log(25), 0.5))
        silence = int(rng.integers(120, 600)) if rng.random() < 0.3 else int(rng.integers(0, 40))
        count = int(rng.geometric(0.1))
        peer = (None, 1, 2, 3, 9)[int(rng.choice(5, p=[0.2, 0.3, 0.3, 0.18, 0.02]))]
        when = noon.replace(hour=int(rng.integers(0, 24))) - datetime.timedelta(days=silence)
        for _i in range(count):
            amount = np.nan if rng.random() < 0.03 else round(float(rng.gamma(2.0, 60.0)), 2)
            rows.append((int(pid), when, amount, peer))
            if rng.random() < 0.1:
                rows.append((int(pid), when + datetime.timedelta(minutes=30), 10.0, peer))
            when -= datetime.timedelta(days=max(1, int(rng.normal(gap, gap / 4))), hours=int(rng.integers(0, 5)))
        if rng.random() < 0.05:
            rows.append((int(pid), noon + datetime.timedelta(days=3), 99.0, peer))
    return pd.DataFrame(rows, columns=["partner_id", "date", "amount", "peer_group"])


def golden_single(orders):
    """compute_cadence's frame on the golden history."""
    return cadence.compute_cadence(orders, AS_OF, cadence.CadenceParams(**PARAMS))


def golden_shards(orders, stored_status):
    """CadenceShards over 3 shards of whole customers, added out of customer order, scored in chunks of
    50 against stored statuses (only the changes get a sentence), the regression on a customer sample."""
    ids = np.sort(orders["partner_id"].unique())
    parts = np.array_split(ids, 3)
    shards = cadence.CadenceShards(AS_OF, cadence.CadenceParams(**SHARD_PARAMS), expected_customers=len(ids))
    for index in (2, 0, 1):
        shards.add(orders[orders["partner_id"].isin(parts[index])])
    shards.fit()
    frames = list(shards.score(50, previous_status=lambda pids: stored_status.reindex(pids).to_numpy()))
    result = pd.concat(frames)
    result.attrs["churn_model"] = shards.population.model
    return result, len(frames)


def stored_statuses(single):
    """The statuses of the single run, every fifth changed and one never classified."""
    stored = single["status"].astype(object).copy()
    stored.iloc[::5] = "warm"
    stored.iloc[3] = None
    return stored


def model_figures(frame):
    """The run's churn model as plain builtins, without its fit time."""
    figures = frame.attrs["churn_model"].as_dict()
    figures.pop("fit_seconds")
    return figures


def read_golden(path):
    """A recorded frame with the engine's dtypes (an empty explanation is None: not formatted)."""
    frame = pd.read_csv(
        path,
        index_col="partner_id",
        parse_dates=DATE_COLUMNS,
        dtype={"rfm_score": object, "status": object, "rule_status": object, "rfm_segment": object},
        keep_default_na=False,
        na_values={column: ["", "NaN"] for column in ("mean_gap", "median_gap", "std_gap")},
    )
    frame["explanation"] = frame["explanation"].astype(object).where(frame["explanation"] != "", None)
    for column in DATE_COLUMNS:
        frame[column] = frame[column].astype("datetime64[ns]")
    return frame


def write_golden():
    """Record the fixtures (see the module docstring); from an Odoo shell:
    ``from odoo.addons.order_retention.tests import test_tools_cadence_golden as g; g.write_golden()``."""
    orders = golden_orders()
    single = golden_single(orders)
    shards, _chunks = golden_shards(orders, stored_statuses(single))
    os.makedirs(DATA, exist_ok=True)
    single.to_csv(SINGLE_CSV, float_format="%.10g")
    shards.to_csv(SHARDS_CSV, float_format="%.10g")
    with open(MODELS_JSON, "w") as out:
        json.dump({"single": model_figures(single), "shards": model_figures(shards)}, out, indent=1, sort_keys=True)
        out.write("\n")


@tagged("post_install", "-at_install", "order_retention")
class TestToolsCadenceGolden(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.orders = golden_orders()
        cls.single = golden_single(cls.orders)
        with open(MODELS_JSON) as models:
            cls.models = json.load(models)

    def assert_golden(self, result, path, model):
        """Every row and column as recorded (floats were written with 10 significant digits)."""
        expected = read_golden(path)
        self.assertEqual(list(result.columns), cadence.RESULT_COLUMNS)
        pd.testing.assert_frame_equal(result, expected, check_exact=False, rtol=1e-9, atol=1e-12)
        figures = model_figures(result)
        self.assertEqual(set(figures), set(model))
        for name, value in model.items():
            with self.subTest(model_figure=name):
                if isinstance(value, float) or (isinstance(value, list) and value and isinstance(value[0], float)):
                    np.testing.assert_allclose(figures[name], value, rtol=1e-9)
                else:
                    self.assertEqual(figures[name], value)

    def test_compute_cadence_golden(self):
        """compute_cadence gives the recorded frame and churn model, and the history covers every case."""
        result = self.single
        self.assertEqual(set(result["status"]), set(cadence.STATUSES))
        self.assertTrue((result["order_count"] == 1).any() and result["mean_gap"].isna().any())
        self.assertTrue(result.attrs["churn_model"].used)
        self.assert_golden(result, SINGLE_CSV, self.models["single"])

    def test_shards_golden(self):
        """CadenceShards over 3 shards, a sampled regression and chunks against stored statuses gives the
        recorded frames and churn model."""
        result, chunks = golden_shards(self.orders, stored_statuses(self.single))
        self.assertEqual(chunks, 4)
        self.assertTrue(result.attrs["churn_model"].used)
        self.assertTrue(result["explanation"].isna().any() and result["explanation"].notna().any())
        self.assertLess(result.attrs["churn_model"].training_rows, self.single.attrs["churn_model"].training_rows)
        self.assert_golden(result, SHARDS_CSV, self.models["shards"])

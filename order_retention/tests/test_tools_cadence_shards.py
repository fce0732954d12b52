"""The engine in shards (bounded memory for very large bases) gives the rows of one run."""

import datetime

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged

from ..tools import cadence, frames

AS_OF = datetime.date(2026, 1, 31)


def history(seed, customers=400):
    """Order histories with peer groups, regular and churned customers, one-order customers and
    several orders on one day: enough history for the learned churn model to be fitted."""
    rng = np.random.default_rng(seed)
    rows = []
    for pid in rng.permutation(np.arange(1, customers + 1) * 7):
        gap = float(rng.lognormal(np.log(25), 0.4))
        silence = int(rng.integers(150, 500)) if rng.random() < 0.3 else int(rng.integers(0, 30))
        count = int(rng.geometric(0.12))
        peer = float(rng.integers(1, 4)) if rng.random() < 0.8 else np.nan
        day = AS_OF - datetime.timedelta(days=silence)
        for _i in range(count):
            rows.append((int(pid), day, float(rng.gamma(2.0, 50.0)), peer))
            if rng.random() < 0.1:  # a second order the same day: one purchase occasion
                rows.append((int(pid), day, 10.0, peer))
            day -= datetime.timedelta(days=max(1, int(rng.normal(gap, gap / 4))))
    return pd.DataFrame(rows, columns=["partner_id", "date", "amount", "peer_group"])


def sharded(orders, shard_count, chunk_size, seed, params=None, expected=0):
    """Feed ``orders`` to CadenceShards in ``shard_count`` shards of whole customers, in a shuffled order."""
    rng = np.random.default_rng(seed)
    ids = np.sort(orders["partner_id"].unique())
    parts = np.array_split(ids, shard_count)
    shards = cadence.CadenceShards(AS_OF, params, expected_customers=expected or len(ids))
    for index in rng.permutation(len(parts)):
        shards.add(orders[orders["partner_id"].isin(parts[index])])
    shards.fit()
    result = pd.concat(list(shards.score(chunk_size)))
    result.attrs["churn_model"] = shards.population.model
    return result


@tagged("post_install", "-at_install", "order_retention")
class TestToolsCadenceShards(BaseCase):
    # the customer at the learned lost threshold scored one ulp lower in chunks of one row (BLAS rounding)
    @example(seed=9652, shard_count=1, chunk_size=1)
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        seed=st.integers(0, 10_000),
        shard_count=st.integers(1, 9),
        chunk_size=st.integers(1, 500),
    )
    def test_shards_give_the_rows_of_one_run(self, seed, shard_count, chunk_size):
        """Any split into shards of whole customers, fed in any order and scored in any chunk size,
        gives exactly compute_cadence's rows and churn model (peer priors, BG/NBD, RFM ranks and
        the threshold are fitted on the whole base either way)."""
        orders = history(seed)
        expected = cadence.compute_cadence(orders, AS_OF)
        result = sharded(orders, shard_count, chunk_size, seed)
        pd.testing.assert_frame_equal(result, expected, check_exact=False, rtol=1e-9, atol=1e-9)
        self.assertEqual(result.attrs["churn_model"], expected.attrs["churn_model"])
        self.assertTrue(expected.attrs["churn_model"].used)

    def test_sampled_churn_regression_agrees(self):
        """A base larger than churn_sample_customers trains the regression on a deterministic sample
        of customers: the statuses barely move and the model is still learned."""
        orders = history(11, customers=900)
        expected = cadence.compute_cadence(orders, AS_OF)
        params = cadence.CadenceParams(churn_sample_customers=450)
        result = sharded(orders, 4, 300, 1, params=params)
        model, full = result.attrs["churn_model"], expected.attrs["churn_model"]
        self.assertTrue(model.used)
        self.assertLess(model.training_rows, full.training_rows * 0.75)
        self.assertGreater(model.training_rows, full.training_rows * 0.25)
        self.assertGreater((result["status"] == expected["status"]).mean(), 0.95)
        self.assertLess((result["churn_probability"] - expected["churn_probability"]).abs().median(), 0.05)
        # the rule figures do not depend on the sample
        for column in ("expected_gap", "warning_days", "p_no_order_90d", "rfm_score", "rule_status"):
            pd.testing.assert_series_equal(result[column], expected[column], check_exact=False, rtol=1e-9)
        again = sharded(orders, 2, 1000, 5, params=params)
        pd.testing.assert_frame_equal(again, result)  # the sample is deterministic

    def test_customer_split_over_shards_is_refused(self):
        orders = history(3, customers=50)
        shards = cadence.CadenceShards(AS_OF)
        first = orders["partner_id"].iloc[0]
        mine = orders[orders["partner_id"] == first]
        shards.add(orders[orders["partner_id"] != first])
        shards.add(mine.iloc[:1])
        shards.add(mine.iloc[1:])
        if len(mine) > 1:
            with self.assertRaises(ValueError):
                shards.fit()

    def test_no_orders(self):
        shards = cadence.CadenceShards(AS_OF)
        self.assertEqual(shards.add(pd.DataFrame(columns=["partner_id", "date", "amount"])), 0)
        self.assertEqual(
            shards.add(
                pd.DataFrame({"partner_id": [1], "date": [AS_OF + datetime.timedelta(days=3)], "amount": [5.0]})
            ),
            0,
        )
        self.assertEqual(shards.fit(), 0)
        self.assertEqual(list(shards.score()), [])
        with self.assertRaises(ValueError):
            cadence.CadenceShards("2026-01-31")

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 10_000), shard_bytes=st.integers(1, 4000), max_write=st.integers(1, 700))
    def test_fact_sink_keeps_every_row_and_whole_customers(self, seed, shard_bytes, max_write):
        """The COPY sink cuts the ordered binary stream into shards wherever the writes fall (mid-row
        too): every row arrives once, decoded, no customer is split over two shards, and every row
        carries its customer's latest sales team."""
        rng = np.random.default_rng(seed)
        rows = []
        for pid in range(1, int(rng.integers(1, 60))):
            for _j in range(int(rng.integers(1, 25))):
                peer = -1 if rng.random() < 0.3 else int(rng.integers(1, 5))
                rows.append((4, 4, pid * 13, 4, 20000 + int(rng.integers(0, 900)), 8, rng.random() * 99, 4, peer))
        records = np.array(rows, dtype=frames.FACT_ROW)
        data = frames.COPY_SIGNATURE + bytes(8) + records.tobytes() + frames.COPY_TRAILER
        got = []
        sink = frames.ShardedFactSink(got.append, shard_bytes)
        position = 0
        while position < len(data):
            size = int(rng.integers(1, max_write + 1))
            sink.write(data[position : position + size])
            position += size
        sink.close()
        self.assertEqual((sink.shards, sink.rows), (len(got), len(rows)))
        facts = pd.concat(got) if got else pd.DataFrame(columns=["partner_id", "date", "amount", "peer_group"])
        self.assertEqual(facts["partner_id"].tolist(), [row[2] for row in rows])
        self.assertEqual(facts["amount"].tolist(), [row[6] for row in rows])
        # every row carries the team of its customer's last row (its latest order): the peer group
        last_team = {row[2]: row[8] for row in rows}
        self.assertEqual(facts["peer_group"].isna().tolist(), [last_team[row[2]] < 0 for row in rows])
        self.assertEqual(facts["peer_group"].fillna(-1).tolist(), [float(last_team[row[2]]) for row in rows])
        self.assertEqual(
            facts["date"].tolist(), [pd.Timestamp("1970-01-01") + pd.Timedelta(days=row[4]) for row in rows]
        )
        owners = [set(shard["partner_id"]) for shard in got]
        self.assertEqual(sum(len(o) for o in owners), len(set().union(*owners)) if owners else 0)

    def test_fact_sink_refuses_a_broken_stream(self):
        """Not a binary COPY, or one cut mid-row: a ValueError, never rows made up from garbage."""
        for data in (b"not a copy stream at all", frames.COPY_SIGNATURE + bytes(8) + b"\x00\x04\x00"):
            sink = frames.ShardedFactSink(lambda frame: None, 10)
            with self.assertRaises(ValueError):
                sink.write(data)
                sink.close()

    def test_sentences_only_for_status_changes(self):
        """Given the stored statuses, only the customers whose status changes (or who had none) get
        today's explanation sentence; every other column is unchanged."""
        orders = history(5, customers=120)
        expected = cadence.compute_cadence(orders, AS_OF)
        stored = expected["status"].copy()
        changed = stored.index[::7]
        stored.loc[changed] = "warm"
        stored.iloc[1] = None  # not classified yet
        shards = cadence.CadenceShards(AS_OF)
        shards.add(orders)
        shards.fit()
        [result] = list(shards.score(previous_status=lambda ids: stored.reindex(ids).to_numpy()))
        wanted = (expected["status"] != stored) | stored.isna()
        self.assertTrue(wanted.any() and not wanted.all())
        self.assertEqual(result["explanation"][wanted].tolist(), expected["explanation"][wanted].tolist())
        self.assertTrue(result["explanation"][~wanted].isna().all())
        pd.testing.assert_frame_equal(result.drop(columns="explanation"), expected.drop(columns="explanation"))

    def test_no_sentences_when_not_asked(self):
        """explain=False (the nightly run: sentences are put together when read) leaves the explanation
        empty for every customer and every other column as it is."""
        orders = history(6, customers=90)
        expected = cadence.compute_cadence(orders, AS_OF)
        shards = cadence.CadenceShards(AS_OF)
        shards.add(orders)
        shards.fit()
        result = pd.concat(list(shards.score(chunk_size=25, explain=False)))
        self.assertEqual(len(result), len(expected))
        self.assertTrue(result["explanation"].isna().all())
        self.assertTrue(expected["explanation"].notna().all())
        pd.testing.assert_frame_equal(result.drop(columns="explanation"), expected.drop(columns="explanation"))

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


def customer_copy_rows(customers):
    """The binary COPY of ``frames.fact_copy_sql`` as PostgreSQL sends it, one piece per row: (partner id, days,
    amounts, team or -1) per customer, the header in the first piece, the trailer last."""
    pieces = []
    for pid, days, amounts, team in customers:
        count = len(days)
        pairs_days = np.zeros(count, dtype=[("len", ">i4"), ("day", ">i4")])
        pairs_days["len"], pairs_days["day"] = 4, days
        pairs_amounts = np.zeros(count, dtype=[("len", ">i4"), ("amount", ">f8")])
        pairs_amounts["len"], pairs_amounts["amount"] = 8, amounts
        pieces.append(
            np.array([4], ">i2").tobytes()
            + np.array([4, pid, 20 + 8 * count, 1, 0, 23, count, 1], ">i4").tobytes()
            + pairs_days.tobytes()
            + np.array([20 + 12 * count, 1, 0, 701, count, 1], ">i4").tobytes()
            + pairs_amounts.tobytes()
            + np.array([4, team], ">i4").tobytes()
        )
    header = frames.COPY_SIGNATURE + bytes(8)
    if pieces:
        pieces[0] = header + pieces[0]
    else:
        pieces.append(header)
    return pieces + [frames.COPY_TRAILER]


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
    @given(
        seed=st.integers(0, 10_000),
        shard_bytes=st.integers(1, 4000),
        max_write=st.one_of(st.none(), st.integers(1, 700)),
    )
    def test_fact_sink_keeps_every_order_and_whole_customers(self, seed, shard_bytes, max_write):
        """The COPY sink reads the stream of one row per customer into shards of orders, whether each write
        brings one row (as psycopg2 does, ``max_write`` None) or the writes fall anywhere (mid-row too): every
        order arrives once, decoded, in the customer's date order, no customer is split over two shards, and
        every order carries its customer's latest sales team."""
        rng = np.random.default_rng(seed)
        customers = []
        for pid in range(1, int(rng.integers(1, 60))):
            count = int(rng.integers(1, 25))
            days = np.sort(rng.integers(20000, 20900, count)).tolist()
            team = -1 if rng.random() < 0.3 else int(rng.integers(1, 5))
            customers.append((pid * 13, days, (rng.random(count) * 99).tolist(), team))
        pieces = customer_copy_rows(customers)
        got = []
        sink = frames.ShardedFactSink(got.append, shard_bytes)
        if max_write is None:
            for piece in pieces:
                sink.write(piece)
        else:
            data, position = b"".join(pieces), 0
            while position < len(data):
                size = int(rng.integers(1, max_write + 1))
                sink.write(data[position : position + size])
                position += size
        sink.close()
        got = [shard.orders() for shard in got]
        orders = [
            (pid, day, amount, team)
            for pid, days, amounts, team in customers
            for day, amount in zip(days, amounts, strict=True)
        ]
        self.assertEqual((sink.shards, sink.rows), (len(got), len(orders)))
        facts = pd.concat(got) if got else pd.DataFrame(columns=["partner_id", "date", "amount", "peer_group"])
        self.assertEqual(facts["partner_id"].tolist(), [row[0] for row in orders])
        self.assertEqual(facts["amount"].tolist(), [row[2] for row in orders])
        self.assertEqual(facts["peer_group"].isna().tolist(), [row[3] < 0 for row in orders])
        self.assertEqual(facts["peer_group"].fillna(-1).tolist(), [float(row[3]) for row in orders])
        self.assertEqual(
            facts["date"].tolist(), [pd.Timestamp("1970-01-01") + pd.Timedelta(days=row[1]) for row in orders]
        )
        owners = [set(shard["partner_id"]) for shard in got]
        self.assertEqual(sum(len(o) for o in owners), len(set().union(*owners)) if owners else 0)

    def test_arrays_of_a_shard_score_as_its_frame(self):
        """The night hands the engine each shard's arrays (no frame, no second validation): the customers are
        scored exactly as from the shard's order frame."""
        orders = history(3, customers=300).sort_values(["partner_id", "date"], kind="stable")
        customers = [
            (
                int(pid),
                [(day - datetime.date(1970, 1, 1)).days for day in rows["date"]],
                rows["amount"].tolist(),
                -1 if np.isnan(rows["peer_group"].iloc[-1]) else int(rows["peer_group"].iloc[-1]),
            )
            for pid, rows in orders.groupby("partner_id", sort=True)
        ]
        received = []
        sink = frames.ShardedFactSink(received.append, 4096)
        for piece in customer_copy_rows(customers):
            sink.write(piece)
        sink.close()
        self.assertGreater(len(received), 2, "several shards")
        by_frame = cadence.CadenceShards(AS_OF, expected_customers=len(customers))
        by_arrays = cadence.CadenceShards(AS_OF, expected_customers=len(customers))
        for shard in received:
            by_frame.add(shard.orders())
            by_arrays.add_arrays(*shard.arrays())
        by_frame.fit()
        by_arrays.fit()
        pd.testing.assert_frame_equal(
            pd.concat(list(by_arrays.score(100, explain=False))), pd.concat(list(by_frame.score(100, explain=False)))
        )

    @settings(max_examples=30, deadline=None)
    @given(
        pieces=st.lists(st.binary(max_size=40), max_size=6),
        sizes=st.lists(st.one_of(st.just(-1), st.integers(min_value=1, max_value=17)), min_size=1, max_size=8),
    )
    def test_pieces_reader_reads_the_pieces_in_a_row(self, pieces, sizes):
        """The results' COPY source hands the pieces in order, never more than asked (all of the current piece for
        -1), then empty reads."""
        reader = frames.PiecesReader(*pieces)
        got = []
        for turn in range(10_000):
            size = sizes[turn % len(sizes)]
            data = reader.read(size)
            if not data:
                break
            if size > 0:
                self.assertLessEqual(len(data), size)
            got.append(data)
        self.assertEqual(b"".join(got), b"".join(pieces))
        self.assertEqual(reader.read(5), b"")

    def test_fact_sink_refuses_a_broken_stream(self):
        """Not a binary COPY, one cut mid-row, a row of another layout or with an empty amount: a ValueError,
        never orders made up from garbage."""
        body = customer_copy_rows([(7, [20000, 20010], [5.0, 6.0], 2)])[0][19:]
        broken = [
            b"not a copy stream at all",
            frames.COPY_SIGNATURE + bytes(8) + body[:40],  # cut mid-row
            frames.COPY_SIGNATURE + bytes(8) + b"\x00\x05" + body[2:],  # five fields
            frames.COPY_SIGNATURE + bytes(8) + body.replace(b"\x00\x00\x02\xbd", b"\x00\x00\x06\xa4"),  # numeric[]
            # an empty amount (length -1) in place of the second one
            frames.COPY_SIGNATURE + bytes(8) + body[:-20] + b"\xff\xff\xff\xff" + body[-16:],
        ]
        for data in broken:
            sink = frames.ShardedFactSink(lambda shard: shard.orders(), 10)
            with self.assertRaises(ValueError, msg=data):
                sink.write(data)
                sink.write(frames.COPY_TRAILER)
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

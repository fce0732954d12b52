import datetime
import itertools
import math
import threading
from unittest.mock import patch

import pandas as pd

from odoo.tests import tagged
from odoo.tools import config

from ..models import retention_text
from ..tools import cadence
from .common import RetentionCommon

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionAdapter(RetentionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._create_customer("Rollup Holding", user=cls.salesman)
        cls.contact_a, cls.contact_b = cls.env["res.partner"].create(
            [
                {"name": "Alice Rollup", "parent_id": cls.company.id},
                {"name": "Bob Rollup", "parent_id": cls.company.id},
            ]
        )
        dates = cls._regular_dates(cls.BASE, 15, 6)
        cls._create_orders(cls.contact_a, dates[::2], amount=200.0)
        cls._create_orders(cls.contact_b, dates[1::2], amount=300.0)
        cls._create_orders(cls.company, [cls.BASE], amount=50.0)  # same day as contact_a's last: one occasion
        cls.other = cls._create_customer("Ignored Orders Ltd", user=cls.salesman)
        cls._create_orders(cls.other, [cls.BASE - D(days=30)], amount=100.0)
        cls._create_orders(cls.other, [cls.BASE - D(days=10)], amount=999.0, state="cancel")
        cls._create_orders(cls.other, [cls.BASE - D(days=5)], amount=999.0, state="draft")
        cls._create_orders(cls.other, [cls.BASE - D(days=3)], amount=999.0, state="sent")

    def test_child_contacts_roll_up_to_the_company(self):
        """Orders of contacts count for their company; same-day orders are one occasion; contacts get no status."""
        self.Cycle._retention_compute_all(self.BASE + D(days=1))
        self.env.invalidate_all()
        self.assertEqual(self.company.retention_order_count, 6)
        self.assertEqual(self.company.retention_last_order_date, self.BASE)
        with self._on_day(self.BASE + D(days=1)):
            self.assertEqual(self.company.retention_days_since_last_order, 1)
        self.assertAlmostEqual(self.company.retention_mean_gap_days, 15.0, places=3)
        self.assertAlmostEqual(self.company.retention_total_amount, 3 * 200 + 3 * 300 + 50, places=2)
        self.assertEqual(self.company.retention_status, "active")
        self.assertFalse(self.contact_a.retention_status)
        self.assertFalse(self.contact_b.retention_status)

    def test_cancelled_orders_and_quotations_ignored(self):
        """Only confirmed orders count: the cancelled order and the quotations change nothing."""
        self.Cycle._retention_compute_all(self.BASE)
        self.env.invalidate_all()
        self.assertEqual(self.other.retention_order_count, 1)
        with self._on_day(self.BASE):
            self.assertEqual(self.other.retention_days_since_last_order, 30)
        self.assertAlmostEqual(self.other.retention_total_amount, 100.0, places=2)

    def test_results_equal_engine(self):
        """The stored fields are the engine's results on the same facts."""
        as_of = self.BASE + D(days=20)
        self.Cycle._retention_compute_all(as_of)
        self.env.invalidate_all()
        facts = self.Cycle._retention_fetch_orders(as_of)
        expected = cadence.compute_cadence(facts, as_of, self.Cycle._retention_engine_params())
        run = self.env["retention.model.run"].search([("date", "<=", as_of)], order="date desc, id desc", limit=1)
        for partner in (self.company | self.other).with_context(tz="UTC"):
            with self._on_day(as_of):
                row = expected.loc[partner.id]
                self.assertEqual(partner.retention_status, row["status"])
                self.assertEqual(partner.retention_missing_order, bool(row["missing_order"]))
                self.assertEqual(partner.retention_order_count, int(row["order_count"]))
                self.assertEqual(partner.retention_days_since_last_order, int(row["days_since_last"]))
                self.assertAlmostEqual(partner.retention_expected_gap_days, row["expected_gap"], places=1)
                self.assertAlmostEqual(partner.retention_warning_days, row["warning_days"], places=1)
                self.assertAlmostEqual(partner.retention_overdue_probability, row["overdue_probability"], places=2)
                self.assertEqual(partner.retention_rfm_segment, row["rfm_segment"])
                # the engine's sentence, rebuilt from the stored figures in the reader's language (plurals, dates)
                self.assertEqual(
                    partner.retention_explanation,
                    retention_text.explain(
                        partner.env,
                        {
                            "count": int(row["order_count"]),
                            "gap": row["expected_gap"],
                            "spread": int(row["gap_spread"]),
                            "days": int(row["days_since_last"]),
                            "last": pd.Timestamp(row["last_order_date"]).date(),
                            "next": pd.Timestamp(row["expected_next_date"]).date(),
                            "warning": row["warning_days"],
                            "missing": bool(row["missing_order"]),
                            "chance": row["churn_probability"] if run.model_used else None,
                            "horizon": run.horizon_days,
                        },
                    ),
                )
                self.assertIn(str(int(row["days_since_last"])), partner.retention_explanation)
                self.assertEqual(partner.retention_team_id, self.team)
                if not math.isnan(row["std_gap"]):
                    self.assertAlmostEqual(partner.retention_gap_std_days, row["std_gap"], places=1)

    def test_shards_and_chunks_change_nothing(self):
        """The nightly run streams the orders to the engine in shards and copies the results back in
        chunks (bounded memory): with one customer per shard and per chunk the stored fields, the
        history and the run record are those of one shard."""
        as_of = self.BASE + D(days=20)
        whole = self.Cycle._retention_compute(as_of)
        cycle_class = type(self.Cycle)
        with patch.object(cycle_class, "SHARD_BYTES", 1), patch.object(cycle_class, "SCORE_CHUNK", 1):
            split = self.Cycle._retention_compute(as_of)
            self.assertGreater(self.env.cr.cache["retention_fact_shards"], 1)
            self.Cycle._retention_compute_all(as_of)
        pd.testing.assert_frame_equal(split, whole)
        self.assertEqual(split.attrs["churn_model"], whole.attrs["churn_model"])
        self.env.invalidate_all()
        for partner in self.company | self.other:
            self.assertEqual(partner.retention_status, whole.loc[partner.id, "status"])
            self.assertEqual(partner.retention_order_count, whole.loc[partner.id, "order_count"])
            self.assertEqual(partner.retention_team_id.id, int(whole.loc[partner.id, "team_id"]))
            self.assertEqual(
                partner.retention_history_ids.sorted("id")[-1:].new_status, whole.loc[partner.id, "status"]
            )
        run = self.env["retention.model.run"].search([("date", "=", as_of)])
        self.assertEqual(run.customers, len(whole))
        written = self.env.cr.cache["retention_rows_written"]
        self.Cycle._retention_compute_all(as_of)  # the same day again, unsharded: nothing to rewrite
        self.assertEqual(self.env.cr.cache["retention_rows_written"], 0)
        self.assertGreater(written, 0)

    def test_an_engine_error_in_a_shard_stops_the_run(self):
        """The shards are summarised in a thread beside the COPY: an error of the engine on any shard is raised
        in the run itself (nothing is staged from a partial base), and no thread is left behind."""
        as_of = self.BASE + D(days=20)
        cycle_class = type(self.Cycle)
        add = cadence.CadenceShards.add_arrays
        calls = []

        def failing_add(shards, *arrays):
            calls.append(len(arrays[0]))
            if len(calls) == 2:
                raise ValueError("shard %d refused" % len(calls))
            return add(shards, *arrays)

        with (
            patch.object(cycle_class, "SHARD_BYTES", 1),
            patch.object(cadence.CadenceShards, "add_arrays", failing_add),
            self.assertRaisesRegex(ValueError, "shard 2 refused"),
        ):
            self.Cycle._retention_compute(as_of)
        self.assertEqual(len(calls), 2, "the shards after the failing one are not summarised")
        self.assertFalse([t for t in threading.enumerate() if t.name.startswith("retention-summarise")])
        # the next run (no failure) summarises every shard again
        self.assertEqual(
            list(self.Cycle._retention_compute(as_of).index), list(self.Cycle._retention_compute(as_of).index)
        )

    def test_write_back_by_ranges(self):
        """The recompute stages every customer's results, then writes them back by ranges of customers
        (the queue jobs' shards): two ranges give the fields and history of one write-back, a range
        written twice changes nothing, and a customer who lost his last order loses his status in his range."""
        as_of = self.BASE + D(days=20)
        expected = self.Cycle._retention_compute(as_of)
        self.Cycle._retention_stage(as_of)
        ranges = self.WriteBack._retention_stage_ranges(2)
        self.assertGreater(len(ranges), 1)
        covered = {pid for first, last in ranges for pid in expected.index if first <= pid <= last}
        self.assertEqual(covered, set(expected.index))
        self.assertEqual(sorted(ranges), ranges)
        self.assertTrue(all(last < first for (_f, last), (first, _l) in zip(ranges, ranges[1:], strict=False)))
        for first, last in ranges:
            self.WriteBack._retention_apply_stage(as_of, first, last)
            self.assertEqual(self.WriteBack._retention_apply_stage(as_of, first, last)[0], 0, "a retry writes nothing")
        self.Cycle._retention_finish_compute(as_of)
        self.env.invalidate_all()
        for partner in self.company | self.other:
            self.assertEqual(partner.retention_status, expected.loc[partner.id, "status"])
            self.assertEqual(partner.retention_order_count, expected.loc[partner.id, "order_count"])
            self.assertEqual(len(partner.retention_history_ids), 1)
        self.assertEqual(self.env["retention.model.run"].search([("date", "=", as_of)]).customers, len(expected))
        # the other customer's only confirmed order is cancelled: his range clears his status
        self.env["sale.order"].search([("partner_id", "=", self.other.id), ("state", "=", "sale")]).write(
            {"state": "cancel"}
        )
        next_day = as_of + D(days=1)
        self.Cycle._retention_stage(next_day)
        self.WriteBack._retention_apply_stage(next_day, self.company.id, self.company.id)
        self.env.invalidate_all()
        self.assertTrue(self.other.retention_status, "outside the range written")
        self.WriteBack._retention_apply_stage(next_day, self.other.id, self.other.id)
        self.env.invalidate_all()
        self.assertFalse(self.other.retention_status)

    def test_fetch_from_the_replica(self):
        """With a read-only replica configured (db_replica_host), the order facts are read through
        Odoo's read-only cursor; the results are the same (in tests that cursor is the test cursor)."""
        as_of = self.BASE + D(days=20)
        whole = self.Cycle._retention_compute(as_of)
        opened = []
        real_cursor = type(self.env.registry).cursor

        def spy(registry, readonly=False):
            opened.append(readonly)
            return real_cursor(registry, readonly=readonly)

        # one cursor serves every request, as in HttpCase: the read-only cursor sees this test's data
        self.registry.enter_test_mode(self.env.cr)
        self.addCleanup(self.registry.leave_test_mode)
        with (
            patch.dict(config.options, {"db_replica_host": "replica.invalid"}),
            patch.object(type(self.env.registry), "cursor", spy),
        ):
            replica = self.Cycle._retention_compute(as_of)
            self.assertEqual(opened, [True])
            self.Cycle.with_context(retention_fetch_primary=True)._retention_compute(as_of)
            self.assertEqual(opened, [True])
        pd.testing.assert_frame_equal(replica, whole)

    def test_lost_all_orders_clears_status(self):
        """A customer whose only order is cancelled loses its status (recorded in the history)."""
        self.Cycle._retention_compute_all(self.BASE)
        self.assertTrue(self.other.retention_status)
        self.env["sale.order"].search([("partner_id", "=", self.other.id), ("state", "=", "sale")]).write(
            {"state": "cancel"}
        )
        self.Cycle._retention_compute_all(self.BASE + D(days=1))
        self.env.invalidate_all()
        self.assertFalse(self.other.retention_status)
        self.assertEqual(self.other.retention_order_count, 0)
        self.assertFalse(self.other.retention_history_ids.sorted("id")[-1:].new_status)

    def test_same_day_rerun_rewrites_nothing(self):
        """A second computation the same day leaves unchanged rows alone; so does the next day when nothing but
        the day count moved (it is derived at read time); a status change rewrites the row."""
        self._set_aside_other_orders(self.company | self.other)  # nothing moves but the day count
        as_of = self.BASE + D(days=3)
        self.Cycle._retention_compute_all(as_of)
        self.env.cr.execute(
            "UPDATE retention_customer SET retention_last_computed = '2000-01-01' WHERE partner_id = %s",
            [self.company.id],
        )
        self.Cycle._retention_compute_all(as_of)
        self.env.invalidate_all()
        self.assertEqual(
            self.company.retention_last_computed, datetime.datetime(2000, 1, 1), "nothing changed: not rewritten"
        )
        self.assertEqual(self.env.cr.cache["retention_rows_written"], 0)
        with self._on_day(as_of):
            self.assertEqual(self.company.retention_days_since_last_order, 3)
        self.Cycle._retention_compute_all(as_of + D(days=1))
        self.env.invalidate_all()
        self.assertEqual(
            self.company.retention_last_computed, datetime.datetime(2000, 1, 1), "only the day count moved"
        )
        with self._on_day(as_of + D(days=1)):
            self.assertEqual(self.company.retention_days_since_last_order, 4)
        status = self.company.retention_status
        self.Cycle._retention_compute_all(as_of + D(days=40))
        self.env.invalidate_all()
        self.assertNotEqual(self.company.retention_status, status)
        self.assertGreater(self.company.retention_last_computed, datetime.datetime(2000, 1, 1))

    def test_value_at_risk_tolerance_follows_its_factors(self):
        """The value at risk (annual value x churn probability) is rewritten when it moved by more than 5 % of
        itself or 5 points of probability of the annual value, not for a drift of a small value at risk."""
        as_of = self.BASE + D(days=3)
        self.Cycle._retention_compute_all(as_of)
        customer = self.env["retention.customer"].search(
            [("partner_id", "=", self.company.id), ("company_id", "=", self.env.company.id)]
        )
        customer.flush_recordset()
        annual, at_risk = customer.retention_annual_value, customer.retention_value_at_risk
        self.assertGreater(annual, 100.0)
        tolerance = self.WriteBack.PROBABILITY_TOLERANCE * annual
        self.assertGreater(tolerance, self.WriteBack.AMOUNT_TOLERANCE * at_risk, "the probability's tolerance is wider")

        def stored_off_by(delta):
            self.env.cr.execute(
                "UPDATE retention_customer SET retention_value_at_risk = %s, retention_last_computed = '2000-01-01' "
                "WHERE id = %s",
                [at_risk + delta, customer.id],
            )
            self.Cycle._retention_compute_all(as_of)
            self.env.invalidate_all()
            return customer.retention_last_computed != datetime.datetime(2000, 1, 1)

        self.assertFalse(stored_off_by(0.9 * tolerance), "within 5 points of probability: not rewritten")
        self.assertAlmostEqual(customer.retention_value_at_risk, at_risk + 0.9 * tolerance, places=2)
        self.assertTrue(stored_off_by(1.1 * tolerance), "beyond both tolerances: rewritten")
        self.assertAlmostEqual(customer.retention_value_at_risk, at_risk, places=2)

    def test_chunks_scored_in_a_thread_stage_as_in_one(self):
        """The chunks of customers are scored in a thread while the one before is copied into the stage: chunks of
        one customer stage the same rows as one chunk; an engine error in a chunk stops the run, leaving no thread."""
        as_of = self.BASE + D(days=20)
        cycle_class = type(self.Cycle)

        def staged():  # the stage's rows (NaN, the stage's "none", as None: NaN is not equal to itself)
            self.env.cr.execute("SELECT * FROM retention_result_stage ORDER BY partner_id, company_id")
            return [
                tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
                for row in self.env.cr.fetchall()
            ]

        self.Cycle._retention_stage(as_of)
        whole = staged()
        self.assertGreaterEqual(len(whole), 2)
        threads = set()
        score = cadence.CadenceShards.score

        def watched_score(shards, *args, **kwargs):
            for chunk in score(shards, *args, **kwargs):
                threads.add(threading.current_thread().name)
                yield chunk

        with (
            patch.object(cycle_class, "SCORE_CHUNK", 1),
            patch.object(cadence.CadenceShards, "score", watched_score),
        ):
            self.Cycle._retention_stage(as_of)
        self.assertEqual(staged(), whole, "one customer a chunk: the same stage")
        self.assertEqual({name.split("_")[0] for name in threads}, {"retention-score"}, "scored in the thread")

        def failing_score(shards, *args, **kwargs):
            yield from itertools.islice(score(shards, *args, **kwargs), 1)
            raise ValueError("chunk 2 refused")

        with (
            patch.object(cycle_class, "SCORE_CHUNK", 1),
            patch.object(cadence.CadenceShards, "score", failing_score),
            self.assertRaisesRegex(ValueError, "chunk 2 refused"),
        ):
            self.Cycle._retention_stage(as_of)
        self.assertFalse([t for t in threading.enumerate() if t.name.startswith("retention-score")])

    def test_fitted_dates_move_a_day_unwritten(self):
        """The fitted dates (expected next order, warning date) and the rhythm's "± days" are rewritten when they
        moved by more than a day; a day's move is rewritten only where the day counts: within a day of the night's.
        The spread of the log gaps is rewritten when it moved by more than 5 % of itself."""
        as_of = self.BASE + D(days=3)
        self.Cycle._retention_compute_all(as_of)
        customer = self.env["retention.customer"].search(
            [("partner_id", "=", self.company.id), ("company_id", "=", self.env.company.id)]
        )
        customer.flush_recordset()
        warning, expected, spread = (
            customer.retention_warning_date,
            customer.retention_expected_next_order_date,
            customer.retention_gap_spread_days,
        )
        self.assertGreater(warning, as_of + D(days=5), "a warning date well after the night")
        self.assertGreater(expected, as_of + D(days=5))
        self.assertGreater(spread, 2)

        def stored_off(night, column, value):
            self.env.cr.execute(
                "UPDATE retention_customer SET %s = %%s, retention_last_computed = '2000-01-01' WHERE id = %%s"
                % column,
                [value, customer.id],
            )
            self.Cycle._retention_compute_all(night)
            self.env.invalidate_all()
            return customer.retention_last_computed != datetime.datetime(2000, 1, 1)

        for column, staged in (
            ("retention_warning_date", warning),
            ("retention_expected_next_order_date", expected),
        ):
            for days in (1, -1):
                self.assertFalse(stored_off(as_of, column, staged + D(days=days)), "%s a day off" % column)
                self.assertEqual(customer[column], staged + D(days=days), "kept as it was")
            self.assertTrue(stored_off(as_of, column, staged + D(days=2)), "%s two days off: rewritten" % column)
            self.assertEqual(customer[column], staged)
        for days in (1, -1):
            self.assertFalse(stored_off(as_of, "retention_gap_spread_days", spread + days))
            self.assertEqual(customer.retention_gap_spread_days, spread + days)
        self.assertTrue(stored_off(as_of, "retention_gap_spread_days", spread - 2))
        self.assertEqual(customer.retention_gap_spread_days, spread)
        # the spread of the log gaps: 5 % of itself
        log_sd = customer.retention_gap_log_sd
        self.assertGreater(log_sd, 0.0)
        self.assertFalse(stored_off(as_of, "retention_gap_log_sd", log_sd * 1.04), "4 % off: kept")
        self.assertAlmostEqual(customer.retention_gap_log_sd, log_sd * 1.04, places=6)
        self.assertTrue(stored_off(as_of, "retention_gap_log_sd", log_sd * 0.94), "6 % off: rewritten")
        self.assertAlmostEqual(customer.retention_gap_log_sd, log_sd, places=6)
        # the night of the warning date: a day's move there changes the Missing Order flag, so it is rewritten
        night = warning
        self.Cycle._retention_compute_all(night)
        self.env.invalidate_all()
        staged = customer.retention_warning_date
        self.assertTrue(stored_off(night, "retention_warning_date", staged - D(days=1)), "the day before the night")
        self.assertEqual(customer.retention_warning_date, staged)
        self.assertTrue(stored_off(night, "retention_warning_date", staged + D(days=1)), "the day after the night")
        self.assertEqual(customer.retention_warning_date, staged)
        with self._on_day(staged + D(days=1)):
            self.assertTrue(customer.retention_missing_order)
            self.assertIn(customer, customer.search([("retention_missing_order", "=", True)]))

    def test_team_follows_the_latest_order(self):
        """The customer's team is the team of its latest confirmed order, and is cleared with its orders."""
        other_team = self.env["crm.team"].create({"name": "Retention Second Team"})
        self._create_orders(self.other, [self.BASE - D(days=1)], amount=10.0, team=other_team)
        self.Cycle._retention_compute_all(self.BASE)
        self.env.invalidate_all()
        self.assertEqual(self.other.retention_team_id, other_team)
        self.env["sale.order"].search([("partner_id", "=", self.other.id), ("state", "=", "sale")]).write(
            {"state": "cancel"}
        )
        self.Cycle._retention_compute_all(self.BASE + D(days=1))
        self.env.invalidate_all()
        self.assertFalse(self.other.retention_team_id)

    def test_days_since_previous_order_on_confirmation(self):
        """Confirming an order stamps the days since the customer's previous confirmed order."""
        order = self._create_orders(self.contact_b, [self.BASE + D(days=12)], state="draft")
        order.action_confirm()  # confirmation sets date_order to now
        self.assertEqual(order.retention_days_since_previous_order, (order.date_order.date() - self.BASE).days)
        self.assertFalse(order.retention_won_back, "the customer had no lapsed status")

    def test_demo_data_shows_every_status(self):
        """The demo customers cover every status after the install-time cycle."""
        demo = self.env["res.partner"].search(
            [
                (
                    "name",
                    "in",
                    ["Regular Bakery Supplies", "Lost Print Shop", "Lapsed Hardware Store", "One-time Event Agency"],
                )
            ]
        )
        self.assertEqual(len(demo), 4, "the test database is installed with demo data")
        statuses = set(self.env["res.partner"].search([("retention_status", "!=", False)]).mapped("retention_status"))
        self.assertEqual(statuses, {"active", "warm", "cold", "lost"})

"""The retention-call queue on a generated base (issue #20): 20,000 customers of 3 salespeople, their order
histories loaded with SQL (COPY, as scripts/bench_cycle.py does), then the real nightly cycle
(``retention.cycle._retention_run_cycle``) for six nights in which nobody makes a call, with the low-touch e-mail
on for lost customers.

Checked: day one, nobody holds more calls than their capacity, and the called customers carry far more value at
risk than the waiting ones; a second run the same day changes nothing (no call, no message, no customer row
rewritten); after five more nights every queue is still exactly at capacity with the same calls, and every other
customer who needs a call waits (since day one); the e-mails stay within the nightly cap and reach each customer
once in the interval. The per-salesperson figures and the run time are logged.

Tagged ``order_retention_bench`` (not ``standard``): it runs from ``make bench``, not from ``make test``."""

import datetime
import io
import logging
import time

import numpy as np
import pandas as pd

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .queue_common import QueueFixture

D = datetime.timedelta
N_CUSTOMERS = 20_000
NIGHTLY_CAP = 25
SUBJECT = "anything we can do for you?"

_logger = logging.getLogger(__name__)


# about 2 minutes (the COPY of 150,000 orders, six recomputes of 20,000 customers): not in `make test` ("-standard"),
# run by `make bench` (scripts/bench.sh: TEST_TAGS=order_retention_bench/order_retention scripts/run_tests.sh)
@tagged("post_install", "-at_install", "-standard", "order_retention_bench")
class TestRetentionQueueVolume(QueueFixture, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._queue_setup()
        cls.m1.retention_call_capacity = 25
        cls.m2.retention_call_capacity = 40
        cls.company.write(
            {"retention_call_capacity": 30, "retention_low_touch_lost": "email", "retention_low_touch_max": NIGHTLY_CAP}
        )
        cls.sellers = cls.s1 | cls.s2 | cls.s3
        cls.capacity = {cls.s1.id: 25, cls.s2.id: 40, cls.s3.id: 30}

    # ------------------------------------------------------------------
    # the generated base
    # ------------------------------------------------------------------

    @classmethod
    def _load(cls, n, seed=2026):
        """``n`` customers (e-mail, English) spread over the 3 salespeople and their confirmed orders: a regular
        gap of 14 to 90 days, 3 to 12 orders, order values from a log-normal spread; a third still ordering,
        the others silent for up to 1,000 days. Returns the customer ids."""
        cr = cls.env.cr
        cls.env.flush_all()
        users = cls.sellers.ids
        cr.execute(
            SQL(
                """
            INSERT INTO res_partner (name, complete_name, active, is_company, type, autopost_bills, user_id, email,
                                     email_normalized, lang, create_date, write_date, create_uid, write_uid)
            SELECT 'Volume Customer ' || g, 'Volume Customer ' || g, TRUE, TRUE, 'contact', 'ask',
                   (%(users)s::int[])[1 + mod(g, 3)], 'volume' || g || '@example.com',
                   'volume' || g || '@example.com', 'en_US', NOW(), NOW(), 1, 1
              FROM generate_series(1, %(n)s) g
            RETURNING id
            """,
                users=users,
                n=n,
            )
        )
        ids = np.array(sorted(row[0] for row in cr.fetchall()), dtype=np.int64)
        # one statement, one range of ids (= ANY of a 20,000-id array took 78 s on a fresh table)
        cr.execute(
            "UPDATE res_partner SET commercial_partner_id = id WHERE id BETWEEN %s AND %s",
            [int(ids[0]), int(ids[-1])],
        )
        rng = np.random.default_rng(seed)
        gap = rng.uniform(14, 90, n)
        count = rng.integers(3, 13, n)
        lapsed = rng.random(n) < 0.65
        silence = np.where(lapsed, rng.uniform(1.5, 12, n) * gap, rng.uniform(0, 0.8, n) * gap)
        silence = np.minimum(silence, 1000)
        scale = rng.lognormal(np.log(400), 1.0, n)
        customer = np.repeat(np.arange(n), count)
        back = np.concatenate([np.arange(k)[::-1] for k in count])  # 0 = the last order
        jitter = rng.normal(0, 0.15, len(customer)) * gap[customer]
        days_ago = np.round(silence[customer] + back * gap[customer] + np.where(back > 0, jitter, 0)).astype(int)
        today = np.datetime64(cls.today)
        dates = (today - days_ago.astype("timedelta64[D]")).astype(str)
        amounts = np.round(scale[customer] * rng.lognormal(0, 0.2, len(customer)), 2)
        company = cls.company
        frame = pd.DataFrame(
            {
                "name": np.char.add("VQ", np.arange(len(customer)).astype(str)),
                "partner_id": ids[customer],
                "partner_invoice_id": ids[customer],
                "partner_shipping_id": ids[customer],
                "company_id": company.id,
                "date_order": np.char.add(dates, " 10:00:00"),
                "state": "sale",
                "amount_untaxed": amounts,
                "amount_total": amounts,
                "currency_rate": 1.0,
                "currency_id": company.currency_id.id,
                "team_id": cls.team.id,
                "user_id": np.array(users)[(np.arange(n) + 1) % 3][customer],
            }
        )
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False, float_format="%.2f")
        buffer.seek(0)
        cr.copy_expert(
            "COPY sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, company_id, date_order, "
            "state, amount_untaxed, amount_total, currency_rate, currency_id, team_id, user_id) "
            "FROM STDIN WITH (FORMAT csv)",
            buffer,
        )
        cr.execute("ANALYZE res_partner; ANALYZE sale_order")
        cls.env.invalidate_all()
        return ids.tolist(), len(customer)

    # ------------------------------------------------------------------
    # what the queue looks like
    # ------------------------------------------------------------------

    def _night(self, day):
        self.env["retention.cycle"]._retention_run_cycle(today=day)
        self.env.flush_all()
        self.env.invalidate_all()
        return self.env.cr.cache.get("retention_allocation", {})

    def _queues(self, ids):
        """{salesperson id: (open calls, waiting)} of the three salespeople, the open calls' customers, and the
        mean value at risk of the called and of the waiting customers."""
        rows = self.env.execute_query(
            SQL(
                """
            SELECT a.user_id, count(*), array_agg(a.res_id), avg(p.retention_value_at_risk)
              FROM mail_activity a JOIN retention_customer p ON p.partner_id = a.res_id
             WHERE a.active AND a.res_model = 'res.partner' AND a.activity_type_id = %s AND a.res_id BETWEEN %s AND %s
             GROUP BY a.user_id
            """,
                self.activity_type.id,
                ids[0],
                ids[-1],
            )
        )
        called = {user_id: (n, set(res_ids), mean) for user_id, n, res_ids, mean in rows}
        waiting = dict(
            self.env.execute_query(
                SQL(
                    """
                SELECT retention_queue_user_id, count(*) FROM retention_customer
                 WHERE retention_waiting_since IS NOT NULL AND partner_id BETWEEN %s AND %s
                 GROUP BY retention_queue_user_id
                """,
                    ids[0],
                    ids[-1],
                )
            )
        )
        return {uid: (called.get(uid, (0, set()))[0], waiting.get(uid, 0)) for uid in self.capacity}, called

    def _means(self, ids):
        [(called, waiting)] = self.env.execute_query(
            SQL(
                """
            SELECT avg(p.retention_value_at_risk) FILTER (WHERE EXISTS (
                       SELECT 1 FROM mail_activity a WHERE a.active AND a.res_model = 'res.partner'
                          AND a.res_id = p.partner_id AND a.activity_type_id = %(type)s)),
                   avg(p.retention_value_at_risk) FILTER (WHERE p.retention_waiting_since IS NOT NULL)
              FROM retention_customer p WHERE p.partner_id BETWEEN %(lo)s AND %(hi)s
            """,
                type=self.activity_type.id,
                lo=ids[0],
                hi=ids[-1],
            )
        )
        return float(called), float(waiting)

    def _unaccounted(self, ids):
        """Customers who need a call (warm, cold, lost; not stopped, not lost for good) yet have neither an open
        call nor a place on the waiting list, or have both."""
        [(count,)] = self.env.execute_query(
            SQL(
                """
            SELECT count(*) FROM retention_customer p
             WHERE p.partner_id BETWEEN %(lo)s AND %(hi)s AND p.retention_status IN ('warm', 'cold', 'lost')
               AND p.retention_call_stop IS NULL AND NOT COALESCE(p.retention_lost_for_good, false)
               AND (p.retention_waiting_since IS NOT NULL) = EXISTS (
                       SELECT 1 FROM mail_activity a WHERE a.active AND a.res_model = 'res.partner'
                          AND a.res_id = p.partner_id AND a.activity_type_id = %(type)s)
            """,
                lo=ids[0],
                hi=ids[-1],
                type=self.activity_type.id,
            )
        )
        return count

    def _fingerprint(self, ids):
        """Every row version of the customers, of their retention figures and of the retention calls: any UPDATE
        changes it."""
        [(partners, figures, calls)] = self.env.execute_query(
            SQL(
                """
            SELECT (SELECT md5(string_agg(id || ':' || ctid::text, ',' ORDER BY id)) FROM res_partner
                     WHERE id BETWEEN %(lo)s AND %(hi)s),
                   (SELECT md5(string_agg(id || ':' || ctid::text, ',' ORDER BY id)) FROM retention_customer
                     WHERE partner_id BETWEEN %(lo)s AND %(hi)s),
                   (SELECT md5(string_agg(id || ':' || ctid::text, ',' ORDER BY id)) FROM mail_activity
                     WHERE activity_type_id = %(type)s)
            """,
                lo=ids[0],
                hi=ids[-1],
                type=self.activity_type.id,
            )
        )
        return partners, figures, calls

    def _mails(self, ids):
        """{customer id: retention e-mails logged in its chatter}."""
        return dict(
            self.env.execute_query(
                SQL(
                    """
                SELECT res_id, count(*) FROM mail_message
                 WHERE model = 'res.partner' AND res_id BETWEEN %s AND %s AND subject LIKE %s GROUP BY res_id
                """,
                    ids[0],
                    ids[-1],
                    "%" + SUBJECT,
                )
            )
        )

    def _log(self, label, queues):
        for user in self.sellers:
            opened, waiting = queues[user.id]
            _logger.info(
                "volume %s: %s - capacity %d, open %d, waiting %d",
                label,
                user.name,
                self.capacity[user.id],
                opened,
                waiting,
            )

    # ------------------------------------------------------------------
    # the test
    # ------------------------------------------------------------------

    def test_volume_nights_without_calls(self):
        """20,000 customers, 3 salespeople, six nights of the real cycle without a call made."""
        start = time.perf_counter()
        ids, n_orders = self._load(N_CUSTOMERS)
        loaded = time.perf_counter()
        day1 = self.today
        self.env["retention.cycle"]._retention_reset_day()  # the demo's cycle already ran today

        counts = self._night(day1)
        night1 = time.perf_counter()
        queues, called = self._queues(ids)
        self._log("day 1", queues)
        for uid, capacity in self.capacity.items():
            opened, waiting = queues[uid]
            self.assertLessEqual(opened, capacity)
            self.assertEqual(opened, capacity, "thousands wait: every queue is full on day one")
            self.assertGreater(waiting, 1000)
        mean_called, mean_waiting = self._means(ids)
        ratio = mean_called / mean_waiting
        _logger.info(
            "volume day 1: mean value at risk called %.2f, waiting %.2f (x %.2f); %s",
            mean_called,
            mean_waiting,
            ratio,
            counts,
        )
        self.assertGreaterEqual(ratio, 1.5)
        self.assertEqual(self._unaccounted(ids), 0)
        self.assertLessEqual(counts["messages"], NIGHTLY_CAP)
        self.assertEqual(counts["messages"], NIGHTLY_CAP, "far more lost customers wait than the cap")
        first_calls = {uid: res_ids for uid, (_n, res_ids, _m) in called.items()}
        waiting_day1 = dict(
            self.env.execute_query(
                SQL(
                    "SELECT partner_id, retention_waiting_since FROM retention_customer "
                    "WHERE partner_id BETWEEN %s AND %s AND "
                    "retention_waiting_since IS NOT NULL",
                    ids[0],
                    ids[-1],
                )
            )
        )

        # the same day again: the cycle does nothing, and neither does the allocation itself
        fingerprint = self._fingerprint(ids)
        mails = self._mails(ids)
        self._night(day1)
        again = self.env["retention.queue"]._retention_allocate(day1)
        self.env.flush_all()
        self.assertEqual((again["created"], again["messages"]), (0, 0), again)
        self.assertEqual(self._fingerprint(ids), fingerprint, "a second run the same day rewrote rows")
        self.assertEqual(self._mails(ids), mails)

        # five more nights, nobody calls
        for night in range(1, 6):
            day = day1 + D(days=night)
            counts = self._night(day)
            queues, called = self._queues(ids)
            with self.subTest(night=night + 1):
                for uid, capacity in self.capacity.items():
                    self.assertEqual(queues[uid][0], capacity)
                    self.assertEqual(called[uid][1], first_calls[uid], "the open calls stay the same")
                self.assertEqual(self._unaccounted(ids), 0)
                self.assertLessEqual(counts["messages"], NIGHTLY_CAP)
        self._log("day 6 (after 5 nights without calls)", queues)
        waiting_now = dict(
            self.env.execute_query(
                SQL(
                    "SELECT partner_id, retention_waiting_since FROM retention_customer "
                    "WHERE partner_id BETWEEN %s AND %s AND "
                    "retention_waiting_since IS NOT NULL",
                    ids[0],
                    ids[-1],
                )
            )
        )
        kept = [pid for pid in waiting_now if pid in waiting_day1]
        self.assertTrue(kept)
        self.assertTrue(all(waiting_now[pid] == day1 for pid in kept), "waiting since day one")
        mails = self._mails(ids)
        self.assertLessEqual(sum(mails.values()), 6 * NIGHTLY_CAP)
        self.assertGreaterEqual(sum(mails.values()), 5 * NIGHTLY_CAP)
        self.assertEqual(max(mails.values()), 1, "a customer got two retention e-mails in one interval")
        end = time.perf_counter()
        _logger.info(
            "volume: %d customers, %d orders loaded in %.1f s; first night %.1f s; whole test %.1f s; %d e-mails",
            len(ids),
            n_orders,
            loaded - start,
            night1 - loaded,
            end - start,
            sum(mails.values()),
        )

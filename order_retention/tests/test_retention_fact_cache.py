"""The order facts kept between nights (retention.fact.cache): after any change, by the ORM or by plain SQL, the
kept rows are the rows a full read of the orders gives, and only the customers who changed are read again."""

import datetime
import io
import random
from unittest.mock import patch

import pandas as pd

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from ..models import retention_fact_cache as fact_cache
from ..models.retention_fact_cache import STATE_TABLE, TRIGGERS
from ..tools import frames
from .common import RetentionCommon, set_retention_settings

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionFactCache(RetentionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Cache = cls.env["retention.fact.cache"]
        # whatever the demo data's nights kept is forgotten: each test starts before its first night
        cls.env.cr.execute(SQL("TRUNCATE %s, retention_fact_dirty", SQL.identifier(STATE_TABLE)))
        cls.customers = cls.env["res.partner"]
        for i in range(6):
            customer = cls._create_customer("Kept Facts %d" % i, user=cls.salesman)
            cls._create_orders(customer, cls._regular_dates(cls.BASE - D(days=i), 20 + i, 3 + i % 3), amount=100 + i)
            cls.customers |= customer
        cls.holding = cls.customers[0]
        cls.contact = cls.env["res.partner"].create({"name": "Kept Facts Buyer", "parent_id": cls.holding.id})
        cls._create_orders(cls.contact, [cls.BASE - D(days=3)], amount=70.0)
        cls.other_team = cls.env["crm.team"].create({"name": "Kept Facts Team"})

    # ------------------------------------------------------------------ helpers

    def _rows(self, sql):
        return {
            row[0]: (tuple(row[1]), tuple(round(a, 6) for a in row[2]), row[3]) for row in self.env.execute_query(sql)
        }

    def _kept(self, company=None):
        return self._rows(self.Cache._retention_kept_sql(company or self.env.company))

    def _full_read(self, as_of, company=None):
        company = company or self.env.company
        return self._rows(SQL(frames.FACT_ROWS, self.Cycle._retention_fact_query(as_of, company)))

    def _copy(self, as_of, company):
        """The binary COPY stream of a full read of the orders (what the engine read before facts were kept)."""
        stream = io.BytesIO()
        query = SQL(frames.FACT_ROWS, self.Cycle._retention_fact_query(as_of, company))
        self.env.cr.copy_expert(frames.fact_copy_sql(self.env.cr.mogrify(query.code, query.params).decode()), stream)
        return stream.getvalue()

    def _refresh(self, as_of, company=None):
        """Read the facts as of ``as_of`` through the kept ones; check that the engine gets the very bytes of a full
        read of the orders, and that the kept facts are that read's; return what was done."""
        company = company or self.env.company
        self.env.cr.cache.pop("retention_fact_cache", None)
        stream = io.BytesIO()
        self.Cache._retention_read(as_of, company, stream)
        self.assertEqual(stream.getvalue(), self._copy(as_of, company), "the engine reads what a full read gives")
        self.assertEqual(self._kept(company), self._full_read(as_of, company), "the kept facts are a full read's")
        [(counted,)] = self.env.execute_query(
            SQL("SELECT count(*) FROM retention_fact_cache WHERE company_id = %s", company.id)
        )
        self.assertEqual(self.Cache._retention_kept_state(company)[3], counted, "the kept count is the rows'")
        return self.env.cr.cache["retention_fact_cache"][company.id]

    def _order(self, partner):
        return self.env["sale.order"].search([("partner_id", "=", partner.id), ("state", "=", "sale")], limit=1)

    # ------------------------------------------------------------------ tests

    def test_first_night_whole_then_only_the_changed_customers(self):
        """The first night reads every order; the next nights read only the customers whose orders changed."""
        first = self._refresh(self.BASE)
        self.assertTrue(first["full"])
        self.assertGreaterEqual(first["customers"], 6)
        quiet = self._refresh(self.BASE)
        self.assertEqual(quiet, {"full": False, "customers": 0, "rebuilt": 0}, "nothing changed: nothing read")
        self._create_orders(self.customers[2], [self.BASE - D(days=1)], amount=55.0)
        after = self._refresh(self.BASE)
        self.assertFalse(after["full"])
        self.assertEqual(after["rebuilt"], 1, "one customer ordered: one customer read again")
        self.assertIn(self.customers[2].id, self._kept())

    def test_every_change_of_an_order_or_a_contact_is_seen(self):
        """New, changed, cancelled, moved, re-dated, deleted orders and contacts moved to another company, by the
        ORM or by plain SQL: after each, the kept facts equal a full read, without a full read."""
        as_of = self.BASE + D(days=1)
        self._refresh(as_of)
        cr = self.env.cr
        changes = [
            ("a new confirmed order", lambda: self._create_orders(self.customers[1], [as_of], amount=42.0)),
            (
                "a quotation confirmed",
                lambda: self._create_orders(self.customers[3], [as_of], state="draft").write({"state": "sale"}),
            ),
            (
                "a line's price changed",
                lambda: self._order(self.customers[4]).order_line[:1].write({"price_unit": 1234.0}),
            ),
            (
                "a line added",
                lambda: self._order(self.customers[5]).write(
                    {"order_line": [Command.create({"product_id": self.product.id, "price_unit": 10.0})]}
                ),
            ),
            ("an order cancelled", lambda: self._order(self.customers[2]).write({"state": "cancel"})),
            (
                "an order moved to another customer",
                lambda: self._order(self.customers[3]).write({"partner_id": self.customers[4].id}),
            ),
            ("an order's team changed", lambda: self._order(self.customers[1]).write({"team_id": self.other_team.id})),
            (
                "an order re-dated",
                lambda: self._order(self.customers[5]).write(
                    {"date_order": datetime.datetime.combine(self.BASE - D(days=400), datetime.time(8))}
                ),
            ),
            ("a contact moved to another company", lambda: self.contact.write({"parent_id": self.customers[1].id})),
            ("a contact made a company of its own", lambda: self.contact.write({"parent_id": False})),
            (
                "an amount written in SQL",
                lambda: cr.execute(
                    "UPDATE sale_order SET amount_untaxed = 9999 WHERE id = %s", [self._order(self.customers[1]).id]
                ),
            ),
            (
                "an order deleted in SQL",
                lambda: cr.execute(
                    "DELETE FROM sale_order_line WHERE order_id = %(id)s; DELETE FROM sale_order WHERE id = %(id)s",
                    {"id": self._order(self.customers[4]).id},
                ),
            ),
        ]
        for label, change in changes:
            with self.subTest(change=label):
                change()
                self.env.flush_all()
                self.env.invalidate_all()
                done = self._refresh(as_of)
                self.assertFalse(done["full"], label)
                self.assertGreater(done["customers"], 0, "%s: noticed" % label)
                self.assertLessEqual(done["customers"], 4, "%s: only the customers concerned" % label)

    def test_days_passing_bring_in_orders_dated_ahead(self):
        """An order confirmed with tomorrow's date is not in tonight's facts, and is in tomorrow night's."""
        as_of = self.BASE + D(days=1)
        self._refresh(as_of)
        self._create_orders(self.customers[0], [as_of + D(days=1)], amount=300.0)
        self._refresh(as_of)
        days_tonight = self._kept()[self.customers[0].id][0]
        tomorrow = self._refresh(as_of + D(days=1))
        self.assertFalse(tomorrow["full"])
        self.assertEqual(len(self._kept()[self.customers[0].id][0]), len(days_tonight) + 1)

    def test_rules_time_and_size_rebuild_everything(self):
        """A new minimum amount, a new employee among the customers' contacts, a week, a night in the past or a
        large share of changed customers: everything is read again."""
        as_of = self.BASE + D(days=1)
        self._refresh(as_of)
        set_retention_settings(self.env, retention_winback_min_amount=80)
        self.assertTrue(self._refresh(as_of)["full"], "another minimum amount")
        self.assertFalse(self._refresh(as_of)["full"])
        self.env["res.users"].create(
            {"name": "Kept Facts Employee", "login": "kept_facts_emp", "partner_id": (self.contact.id)}
        )
        self.assertTrue(self._refresh(as_of)["full"], "an employee is never a customer")
        self.assertTrue(self._refresh(as_of + D(days=7))["full"], "a week after the last full read")
        self.assertFalse(self._refresh(as_of + D(days=8))["full"])
        self.assertTrue(self._refresh(as_of)["full"], "a night in the past")
        self.env.cr.execute("UPDATE sale_order SET amount_untaxed = amount_untaxed + 1 WHERE state = 'sale'")
        with patch.object(fact_cache, "FULL_REBUILD_MIN", 0):  # a test base is far smaller than the floor
            self.assertTrue(self._refresh(as_of)["full"], "every customer changed")

    def test_crash_or_upgrade_forgets_and_rebuilds(self):
        """The tables are unlogged: a crash empties them together, and so does an update of the module (its rules
        may have changed): the next night reads everything, and takes what was noted meanwhile."""
        self._refresh(self.BASE)
        self.Cache.init()
        self.env.cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(STATE_TABLE)))
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self._create_orders(self.customers[1], [self.BASE], amount=42.0)
        self.env.cr.execute("SELECT count(*) FROM retention_fact_dirty")
        self.assertEqual(self.env.cr.fetchone()[0], 1, "noted even while nothing is kept")
        self.assertTrue(self._refresh(self.BASE)["full"])
        self.env.cr.execute("SELECT count(*) FROM retention_fact_dirty")
        self.assertEqual(self.env.cr.fetchone()[0], 0, "taken by the full read")

    def test_a_change_during_the_first_night_is_read_the_next(self):
        """An order changed in another transaction while the first night reads everything (committed after the night's
        snapshot, so unseen) is noted, and the next night reads its customer again."""
        self._refresh(self.BASE)
        # what that other transaction leaves: a noted change the night did not take (its snapshot did not see it)
        self.env.cr.execute(
            "INSERT INTO retention_fact_dirty (partner_id, company_id) VALUES (%s, %s)",
            [self.customers[3].id, self.env.company.id],
        )
        self.assertEqual(self._refresh(self.BASE)["customers"], 1)

    def test_each_company_keeps_its_own(self):
        """A change in one company's orders marks that company's customer only."""
        other = self.env["res.company"].create({"name": "Kept Facts Second Company"})
        as_of = self.BASE + D(days=1)
        self._refresh(as_of)
        self._refresh(as_of, other)
        order = self._order(self.customers[2])
        self.env.cr.execute("UPDATE sale_order SET company_id = %s WHERE id = %s", [other.id, order.id])
        self.assertEqual(self._refresh(as_of, other)["rebuilt"], 1, "the order came in")
        self.assertIn(self.customers[2].id, self._kept(other))
        self.assertEqual(self._refresh(as_of)["customers"], 1, "and left the first company")

    def test_random_changes_keep_the_engine_results(self):
        """Seeded random changes over several nights: the kept facts always equal a full read (checked in
        _refresh), and the night's engine results are those of a night that read everything."""
        rng = random.Random(23)
        as_of = self.BASE
        self._refresh(as_of)
        partners = list(self.customers) + [self.contact]
        for night in range(5):
            as_of += D(days=rng.choice([0, 1, 2]))
            for _change in range(6):
                partner = rng.choice(partners)
                kind = rng.randrange(5)
                order = self._order(partner)
                if kind == 0 or not order:
                    self._create_orders(partner, [as_of - D(days=rng.randrange(0, 90))], amount=rng.uniform(1, 500))
                elif kind == 1:
                    order.write({"state": "cancel"})
                elif kind == 2:
                    order.order_line[:1].write({"price_unit": rng.uniform(1, 900)})
                elif kind == 3:
                    order.write({"partner_id": rng.choice(partners).id})
                else:
                    self.env.cr.execute(
                        "UPDATE sale_order SET date_order = date_order - interval '1 day' * %s WHERE id = %s",
                        [rng.randrange(1, 60), order.id],
                    )
            self.env.flush_all()
            self.env.invalidate_all()
            with self.subTest(night=night):
                self._refresh(as_of)
                kept = self.Cycle._retention_compute(as_of)
                self.env.cr.execute(SQL("TRUNCATE %s", SQL.identifier(STATE_TABLE)))
                whole = self.Cycle._retention_compute(as_of)
                self.assertTrue(self.env.cr.cache["retention_fact_cache"][self.env.company.id]["full"])
                pd.testing.assert_frame_equal(kept, whole)

    def test_uninstall_removes_the_triggers(self):
        """The module's uninstallation removes its triggers and functions: orders are then written without them."""
        self._refresh(self.BASE)
        names = [name for name, _table, _clause in TRIGGERS]
        count = "SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s)"
        self.env.cr.execute(count, [names])
        self.assertEqual(self.env.cr.fetchone()[0], len(TRIGGERS))
        from ..hooks import uninstall_hook

        uninstall_hook(self.env)
        self.env.cr.execute(count, [names])
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.env.cr.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'retention_fact_mark_%%'")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self._create_orders(self.customers[1], [self.BASE], amount=42.0)
        self._order(self.customers[1]).write({"state": "cancel"})
        self.env.flush_all()

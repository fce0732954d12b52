"""Issue #23: the figures in a model of their own.

- one row per customer and company, each company classifying its customers on its own orders;
- the nightly run never writes res_partner, and rewrites only the rows whose figures changed;
- res.partner shows the current company's row.
"""

import datetime
import importlib.util

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged
from odoo.tools import SQL, file_path

from .common import RetentionCommon

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionCustomer(RetentionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.main = cls.env.company
        cls.other = cls.env["res.company"].create({"name": "Second Shop Ltd"})
        cls.env.user.company_ids |= cls.other
        cls.other_team = cls.env["crm.team"].create({"name": "Second Shop Team", "company_id": cls.other.id})
        # a customer shared by both companies (no company of its own): often in the main one, rarely in the other
        cls.shared = cls._create_customer("Shared Customer Co", user=cls.salesman)
        cls._create_orders(cls.shared, cls._regular_dates(cls.BASE - D(days=3), 10, 8), amount=200.0)
        dates = cls._regular_dates(cls.BASE - D(days=90), 30, 3)
        cls.other_orders = (
            cls.env["sale.order"]
            .with_company(cls.other)
            .create(
                [
                    {
                        "partner_id": cls.shared.id,
                        "company_id": cls.other.id,
                        "team_id": cls.other_team.id,
                        "user_id": cls.salesman.id,
                        "order_line": [
                            Command.create({"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": 1000.0})
                        ],
                    }
                    for _date in dates
                ]
            )
        )
        cls.other_orders.write({"state": "sale"})
        for order, date in zip(cls.other_orders, dates, strict=True):
            order.date_order = datetime.datetime.combine(date, datetime.time(9, 0))
        cls.other_orders.flush_recordset()

    def _rows(self, partner):
        return self.env["retention.customer"].search([("partner_id", "=", partner.id)], order="company_id")

    def test_one_row_per_company_on_its_own_orders(self):
        """The shared customer has a row in each company, each from that company's orders alone; the partner shows
        the current company's."""
        self._set_aside_other_orders(self.shared)
        self.Cycle._retention_compute_all(self.BASE)
        rows = self._rows(self.shared)
        self.assertEqual(rows.company_id, self.main | self.other)
        main_row = rows.filtered(lambda r: r.company_id == self.main)
        other_row = rows - main_row
        self.assertEqual((main_row.retention_order_count, other_row.retention_order_count), (8, 3))
        self.assertEqual(main_row.retention_last_order_date, self.BASE - D(days=3))
        self.assertEqual(other_row.retention_last_order_date, self.BASE - D(days=90))
        self.assertAlmostEqual(main_row.retention_total_amount, 1600.0, places=2)
        self.assertAlmostEqual(other_row.retention_total_amount, 3000.0, places=2)
        self.assertEqual(main_row.retention_status, "active")
        self.assertIn(other_row.retention_status, ("warm", "cold", "lost"), "silent 90 days on a 30-day rhythm")
        self.assertEqual(self.shared.retention_customer_id, main_row)
        self.assertEqual(self.shared.retention_status, "active")
        in_other = self.shared.with_company(self.other)
        self.assertEqual(in_other.retention_customer_id, other_row)
        self.assertEqual(in_other.retention_status, other_row.retention_status)
        # each company's status history and churn model: the other company's first classification (none of its
        # customers had a status) is where they start, not a change, and its history starts with the next change
        self.assertEqual(self.shared.retention_history_ids.company_id, self.main)
        self.assertEqual(other_row.retention_status_since, self.BASE)
        runs = self.env["retention.model.run"].search([("date", "=", self.BASE)])
        self.assertEqual(runs.company_id, self.main | self.other)

    def test_a_call_per_company(self):
        """The other company follows its lapsed customer up with its own retention call, while the main company,
        where the customer is active, has none."""
        self._set_aside_other_orders(self.shared)
        self.env["res.users"].browse(self.salesman.id).company_ids |= self.other
        self._run(self.BASE)
        calls = self._open_followups(self.shared)
        self.assertEqual(calls.retention_company_id, self.other)
        other_row = self._rows(self.shared).filtered(lambda r: r.company_id == self.other)
        self.assertEqual(calls.retention_customer_id, other_row)
        self.assertEqual(calls.retention_status, other_row.retention_status)

    def test_nightly_run_leaves_res_partner_alone(self):
        """No res_partner row is rewritten by a run (first, same day, next day, a status change); the next day
        rewrites only the rows whose figures moved."""
        self._set_aside_other_orders(self.shared)
        partner_versions = self._versions("res_partner", "id", self.shared.ids)
        self.Cycle._retention_compute_all(self.BASE)
        self.assertEqual(self._versions("res_partner", "id", self.shared.ids), partner_versions)
        rows = self._versions("retention_customer", "partner_id", self.shared.ids)
        self.Cycle._retention_compute_all(self.BASE)
        self.assertEqual(self.env.cr.cache["retention_rows_written"], 0)
        self.assertEqual(self._versions("retention_customer", "partner_id", self.shared.ids), rows)
        self.Cycle._retention_compute_all(self.BASE + D(days=1))  # only the day counts move: derived at read time
        self.assertEqual(self._versions("retention_customer", "partner_id", self.shared.ids), rows)
        self.Cycle._retention_compute_all(self.BASE + D(days=60))  # the statuses change
        self.assertNotEqual(self._versions("retention_customer", "partner_id", self.shared.ids), rows)
        self.assertEqual(self._versions("res_partner", "id", self.shared.ids), partner_versions)

    def test_missing_orders_index_on_both_dates(self):
        """Missing Orders walks one index on (last order, warning date): the warning date is checked inside the
        index (PostgreSQL's plan says so, with sequential scans off so that this small base plans like a big one),
        and the list's rows are the ones a plain filter finds, in its order."""
        Rows = self.env["retention.customer"]
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'retention_customer' AND indexname = %s",
            [Rows.LAST_ORDER_INDEX],
        )
        [(definition,)] = self.env.cr.fetchall()
        self.assertIn("(retention_last_order_date, retention_warning_date)", definition)
        self.Cycle._retention_compute_all(self.BASE)
        today = Rows._retention_today()
        order = "retention_last_order_date desc, retention_total_amount desc, id"
        domain = [("retention_status", "!=", False), ("retention_missing_order", "=", True)]
        found = Rows.search(domain, order=order, limit=80)
        expected = Rows.search([("retention_status", "!=", False)], order=order).filtered(
            lambda r: r.retention_warning_date and r.retention_warning_date < today
        )[:80]
        self.assertTrue(found)
        self.assertEqual(found, expected)
        query = Rows._search(domain, order=order, limit=80)
        # a test base is tiny: make the planner cost it as the million rows it is built for (no sequential scan, no
        # bitmap of the whole status index, which a small table made cheaper once the table lost four columns)
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute("SET LOCAL enable_bitmapscan = off")
        self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.env.cr.execute("SET LOCAL enable_seqscan = on")
        self.env.cr.execute("SET LOCAL enable_bitmapscan = on")
        self.assertIn(Rows.LAST_ORDER_INDEX, plan)
        self.assertRegex(plan, r"Index Cond: \(.*retention_warning_date < ")

    def test_contacts_show_nothing_of_their_own(self):
        """A contact of the customer has no figures of its own (the customer has them), as before the move."""
        contact = self.env["res.partner"].create({"name": "Shared Buyer", "parent_id": self.shared.id})
        self.Cycle._retention_compute_all(self.BASE)
        self.assertTrue(self.shared.retention_status)
        self.assertFalse(contact.retention_customer_id)
        self.assertFalse(contact.retention_status)
        self.assertNotIn(contact, self.env["res.partner"].search([("retention_status", "!=", False)]))

    def test_partner_domains_follow_the_rows(self):
        """Domains on the partner's figures are answered by the current company's rows (= != in, comparisons,
        empty), and agree with reading the figures."""
        self._set_aside_other_orders(self.shared)
        self.Cycle._retention_compute_all(self.BASE)
        Partner = self.env["res.partner"]
        customers = Partner.search([("retention_status", "!=", False)])
        self.assertIn(self.shared, customers)
        for domain in (
            [("retention_status", "=", "active")],
            [("retention_status", "in", ["warm", "cold", "lost"])],
            [("retention_status", "=", False)],
            [("retention_value_at_risk", ">", 0)],
            [("retention_customer_id", "=", False)],
            [("retention_customer_id.retention_order_count", ">", 5)],
        ):
            with self.subTest(domain=domain):
                found = Partner.search([("id", "in", customers.ids + self.salesman.partner_id.ids), *domain])
                expected = (customers | self.salesman.partner_id).filtered_domain(domain)
                self.assertEqual(found, expected)
        in_other = Partner.with_company(self.other).search(
            [("id", "=", self.shared.id), ("retention_status", "=", "active")]
        )
        self.assertFalse(in_other, "in the other company the customer is not active")

    def _versions(self, table, column, ids):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT %s, ctid::text, xmin::text FROM %s WHERE %s = ANY(%%s) ORDER BY 1, 2" % (column, table, column),
            [list(ids)],
        )
        return self.env.cr.fetchall()

    def test_system_bookkeeping_through_the_partner(self):
        """The system (tests, scripts) may still set a figure through the customer: it lands on the row of the
        customer's company; a manager's *Put back in the queue* acts on the current company's row."""
        customer = self._create_customer("Bookkeeping Co", company_id=self.other.id)
        customer.write({"retention_status": "cold", "retention_call_stop": "attempts"})
        [row] = self._rows(customer)
        self.assertEqual((row.company_id, row.retention_status), (self.other, "cold"))
        self.leader.company_ids |= self.other
        customer.with_user(self.leader).with_company(self.other).action_retention_keep_in_queue()
        self.assertFalse(row.retention_call_stop)
        self.assertTrue(row.retention_kept_in_queue)
        self.assertEqual(self.env["retention.customer"].search_count([("partner_id", "=", customer.id)]), 1)

    def test_command_free_rows(self):
        """No client creates, changes or removes a row: not a salesperson, not a sales manager."""
        self.Cycle._retention_compute_all(self.BASE)
        row = self._rows(self.shared)[:1]
        for user in (self.salesman, self.leader):
            Rows = self.env["retention.customer"].with_user(user)
            with self.subTest(user=user.name):
                with self.assertRaises(AccessError):
                    Rows.browse(row.id).write({"retention_value_at_risk": 1})
                with self.assertRaises(AccessError):
                    Rows.create({"partner_id": self.shared.id, "company_id": self.main.id})
                with self.assertRaises(AccessError):
                    Rows.browse(row.id).unlink()
        self.assertTrue(row.exists())

    def test_figures_in_double_precision(self):
        """The cycle's figures are double precision columns (no numeric conversion of a million values a night),
        still rounded where they are read (digits, currency); a database of 18.0.1.4.0 has them converted in one
        statement, values kept."""
        figures = {
            name
            for name, field in self.env["retention.customer"]._fields.items()
            if field.store and field.type in ("float", "monetary")
        }
        self.assertEqual(len(figures), 11)
        self.assertEqual(self._column_types(figures), dict.fromkeys(figures, "double precision"))
        self.Cycle._retention_compute_all(self.BASE)
        row = self._rows(self.shared).filtered(lambda r: r.company_id == self.main)
        self.env.cr.execute(
            SQL(
                "SELECT retention_churn_probability, retention_expected_gap_days FROM retention_customer WHERE id = %s",
                row.id,
            )
        )
        churn, gap = self.env.cr.fetchone()
        self.assertIsInstance(churn, float)
        # read as stored (the engine's float64, rounded to 4 decimals), shown with the field's digits (whole days for
        # a gap, 2 decimals for a chance) and the company currency for an amount
        self.assertEqual((row.retention_churn_probability, row.retention_expected_gap_days), (churn, gap))
        described = self.env["retention.customer"].fields_get(
            ["retention_expected_gap_days", "retention_churn_probability", "retention_value_at_risk"]
        )
        self.assertEqual(described["retention_expected_gap_days"]["digits"], (16, 0))
        self.assertEqual(described["retention_churn_probability"]["digits"], (16, 2))
        self.assertEqual(described["retention_value_at_risk"]["currency_field"], "retention_currency_id")
        # 18.0.1.4.0's numeric columns: converted, values kept, and a second run changes nothing
        before = self._figure_values(row, figures)
        migration = self._migration("18.0.1.5.0", "pre-migrate.py")
        views = [name for name, _kind in migration.dependent_views(self.env.cr, figures)]
        self.assertIn("retention_workload", views)  # the reports read the figures: the migration must see them
        view_models = [model for model in self.env.registry.values() if model._table in views and not model._auto]
        self.assertEqual(len(view_models), len(views), "every view on the figures is a model's (made again by init)")
        self.env.cr.execute(SQL("DROP VIEW %s CASCADE", SQL(", ").join(SQL.identifier(name) for name in views)))
        self.env.cr.execute(
            SQL(
                "ALTER TABLE retention_customer %s",
                SQL(", ").join(SQL("ALTER COLUMN %s TYPE numeric", SQL.identifier(name)) for name in sorted(figures)),
            )
        )
        for model in view_models:
            self.env[model._name].init()  # 18.0.1.4.0's database: views reading numeric figures
        self.assertEqual(set(self._column_types(figures).values()), {"numeric"})
        migration.migrate(self.env.cr, "18.0.1.4.0")
        self.assertEqual(self._column_types(figures), dict.fromkeys(figures, "double precision"))
        self.assertEqual(self._figure_values(row, figures), before)
        self.assertFalse(migration.dependent_views(self.env.cr, figures), "the views went, to be made again")
        for model in view_models:
            self.env[model._name].init()  # as the module update does
            self.env[model._name].search_count([])
        migration.migrate(self.env.cr, "18.0.1.4.0")
        migration.migrate(self.env.cr, None)  # a new install: nothing to do
        self.Cycle._retention_compute_all(self.BASE)
        self.assertEqual(self.env.cr.cache["retention_rows_written"], 0)

    def _column_types(self, names):
        self.env.cr.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'retention_customer' AND column_name IN %s",
            (tuple(names),),
        )
        return dict(self.env.cr.fetchall())

    def _figure_values(self, row, names):
        names = sorted(names)
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM retention_customer WHERE id = %s",
                SQL(", ").join(SQL("%s::float8", SQL.identifier(name)) for name in names),
                row.id,
            )
        )
        return dict(zip(names, self.env.cr.fetchone(), strict=True))

    @staticmethod
    def _migration(version, script):
        path = file_path("order_retention/migrations/%s/%s" % (version, script))
        spec = importlib.util.spec_from_file_location("order_retention_migration_%s" % version.replace(".", "_"), path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    # ------------------------------------------------------------------
    # each company's own settings (issue 23, item 2)
    # ------------------------------------------------------------------

    def _other_row(self):
        return self._rows(self.shared).filtered(lambda r: r.company_id == self.other)

    def test_each_company_classifies_with_its_own_settings(self):
        """The shared customer, silent 90 days on a 30-day rhythm in the other company, is lost there once that
        company's own cap of silent days is 60, whatever the main company's cap; the main company's row and settings
        do not move."""
        self._set_aside_other_orders(self.shared)
        for company in self.main | self.other:
            company.write({"retention_lost_probability": 1.0, "retention_lost_cap_days": 5000})
        self.Cycle._retention_compute_all(self.BASE)
        self.assertIn(self._other_row().retention_status, ("warm", "cold"), "no cap reached: not lost")
        main_row = self._rows(self.shared) - self._other_row()
        self.assertEqual(main_row.retention_status, "active")
        self.other.retention_lost_cap_days = 60
        self.Cycle._retention_compute_all(self.BASE)
        self.assertEqual(self._other_row().retention_status, "lost", "the other company's cap: 90 > 60 days")
        self.assertEqual(main_row.retention_status, "active")
        self.assertEqual(self.main.retention_lost_cap_days, 5000)
        # the engine's figures come from the company's own settings: the learned fallback's threshold too
        self.assertEqual(self.Cycle._retention_engine_params(self.other).lost_cap_days, 60)
        self.assertEqual(self.Cycle._retention_engine_params(self.main).lost_cap_days, 5000)
        self.assertEqual(self.Cycle.with_company(self.other)._retention_engine_params().lost_cap_days, 60)

    def test_each_company_follows_up_at_its_own_intervals(self):
        """A company whose interval for the customer's status is 0 schedules no retention call; the other company's
        interval still gives one in the other company; the Settings of one company leave the other's alone."""
        self._set_aside_other_orders(self.shared)
        self.env["res.users"].browse(self.salesman.id).company_ids |= self.other
        self.Cycle._retention_compute_all(self.BASE)
        status = self._other_row().retention_status
        self.assertIn(status, ("warm", "cold", "lost"))
        field = "retention_%s_interval_days" % status
        # the other company's Settings, saved by its administrator: 0 = no follow-up for that status
        settings = Form(self.env["res.config.settings"].with_company(self.other))
        setattr(settings, field, 0)
        settings.save().execute()
        self.assertEqual(self.other[field], 0)
        self.assertGreater(self.main[field], 0, "the main company's interval is its own")
        self.Cycle._retention_reset_day()
        self._run(self.BASE)
        self.assertFalse(self._open_followups(self.shared), "no follow-up in the other company")
        self.other[field] = 7
        self.Cycle._retention_reset_day()
        self._run(self.BASE)
        self.assertEqual(self._open_followups(self.shared).retention_company_id, self.other)
        # the Settings show each company its own value
        self.assertEqual(getattr(Form(self.env["res.config.settings"].with_company(self.other)), field), 7)
        self.assertEqual(getattr(Form(self.env["res.config.settings"]), field), self.main[field])

    def test_each_company_its_own_call_rules(self):
        """The shortest call that closes a retention call and the win-back minimum are read in the company concerned:
        the call's (its telephony logged it), the order's."""
        self.other.write({"retention_min_call_seconds": 90, "retention_winback_min_amount": 5000.0})
        Call = self.env["retention.call"]
        calls = Call
        for company in self.main | self.other:
            report = Call._retention_ingest(
                [
                    (
                        0,
                        {
                            "call_id": "SETTINGS-%s" % company.id,
                            "number": "+1 650 253 0000",
                            "direction": "outbound",
                            "start": "2025-03-01T10:00:00",
                            "duration": 60,
                        },
                    )
                ],
                "pbx",
                company,
            )
            self.assertEqual(report["created"], 1, report)
            calls |= Call.sudo().search([("external_id", "=", "SETTINGS-%s" % company.id)])
        main_call = calls.filtered(lambda c: c.company_id == self.main)
        other_call = calls - main_call
        self.assertTrue(main_call.verified and other_call.verified)
        self.assertTrue(main_call.qualifies, "60 s >= the main company's 20 s")
        self.assertFalse(other_call.qualifies, "60 s < the other company's 90 s")
        found = Call.sudo().search([("id", "in", calls.ids), ("qualifies", "=", True)])
        self.assertEqual(found, main_call)
        self.assertEqual(Call.sudo().search([("id", "in", calls.ids), ("qualifies", "=", False)]), other_call)
        # a confirmed order of 1,000 counts in the main company (minimum 0), not in the other one (minimum 5,000)
        main_order = self.env["sale.order"].search([("partner_id", "=", self.shared.id), ("state", "=", "sale")])[:1]
        self.assertEqual(main_order.company_id, self.main)
        self.assertTrue(main_order._retention_counts_as_order())
        self.assertFalse(self.other_orders[0]._retention_counts_as_order())
        self.other.retention_winback_min_amount = 999.0
        self.assertTrue(self.other_orders[0]._retention_counts_as_order())

    def test_migration_gives_every_company_the_database_setting(self):
        """18.0.1.6.0: the values a database had (ir.config_parameter) go to every company; an unusable one leaves the
        default; the old parameters are gone."""
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("order_retention.warm_interval_days", "0")
        ICP.set_param("order_retention.lost_probability", "0.9")
        ICP.set_param("order_retention.min_call_seconds", "45")
        ICP.set_param("order_retention.lost_cap_days", "-3")  # below its minimum: by hand only
        ICP.set_param("order_retention.max_unanswered", "lots")
        ICP.set_param("order_retention.duplicate_window_days", "9")  # stays a setting of the database
        (self.main | self.other).write({"retention_warm_interval_days": 14, "retention_lost_cap_days": 365})
        self.env.flush_all()
        with self.assertLogs("order_retention_migration_18_0_1_6_0", level="WARNING") as logs:
            self._migration("18.0.1.6.0", "post-migrate.py").migrate(self.env.cr, "18.0.1.5.0")
        self.assertEqual(len(logs.records), 2, [r.getMessage() for r in logs.records])
        self.env.invalidate_all()
        for company in self.main | self.other:
            self.assertEqual(company.retention_warm_interval_days, 0, "0 is a value: no warm follow-up")
            self.assertAlmostEqual(company.retention_lost_probability, 0.9)
            self.assertEqual(company.retention_min_call_seconds, 45)
            self.assertEqual(company.retention_lost_cap_days, 365, "unusable: the default stays")
            self.assertEqual(company.retention_max_unanswered, 3)
        self.assertFalse(ICP.get_param("order_retention.warm_interval_days"))
        self.assertFalse(ICP.get_param("order_retention.max_unanswered"))
        self.assertEqual(ICP.get_param("order_retention.duplicate_window_days"), "9")

    def test_migration_reads_any_stored_text(self):
        """Seeded fuzz of what a parameter may hold by hand (text, numbers of every kind, huge, NaN, empty): the
        migration's reading never raises and gives None or a value of the field's type within its range."""
        import random  # noqa: PLC0415

        module = self._migration("18.0.1.6.0", "post-migrate.py")
        rng = random.Random(2312)
        pieces = ["", " ", "0", "-0", "1", "14", "0.85", "1e3", "1e400", "-1e400", "nan", "inf", "-inf", "NaN", "1,5"]
        pieces += [
            "٣",
            "\x00",
            "0x10",
            "1_000",
            "ten",
            "None",
            "False",
            "9" * 40,
            "-5",
            "2147483648",
            " 7 ",
            "1.0000001",
        ]
        texts = (
            pieces
            + ["".join(rng.choice("0123456789.-e+ xn") for _ in range(rng.randint(0, 12))) for _ in range(600)]
            + [repr(rng.uniform(-1e6, 1e6)) for _ in range(200)]
        )
        kept = 0
        for field, (_key, cast, minimum, maximum) in module.MOVED.items():
            for text in texts:
                value = module._value(text, cast, minimum, maximum)
                if value is None:
                    continue
                kept += 1
                self.assertIsInstance(value, cast, (field, text))
                self.assertGreaterEqual(value, minimum, (field, text))
                self.assertTrue(maximum is None or value <= maximum, (field, text))
                self.assertTrue(abs(value) < 2**31 or cast is float, (field, text))
        self.assertGreater(kept, 1000, "good texts are kept")

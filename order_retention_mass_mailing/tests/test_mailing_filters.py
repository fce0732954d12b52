from ast import literal_eval
from datetime import timedelta
from random import Random

from freezegun import freeze_time

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged

FILTERS = [
    "mailing_filter_missing_order",
    "mailing_filter_lost",
    "mailing_filter_expected_7_days",
    "mailing_filter_won_back_90_days",
    "mailing_filter_high_value_at_risk",
]


@tagged("post_install", "-at_install", "order_retention_mass_mailing")
class TestMailingFilters(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.customers = cls.env["res.partner"].search([("retention_status", "!=", False)])
        # the demo data has no win-back yet: one recent, one too old to count
        history = cls.env["retention.status.history"].sudo()
        recent, old = cls.customers[:2]
        history.create(
            [
                {
                    "partner_id": recent.id,
                    "date": cls.today - timedelta(days=10),
                    "old_status": "cold",
                    "new_status": "active",
                    "is_win_back": True,
                },
                {
                    "partner_id": old.id,
                    "date": cls.today - timedelta(days=120),
                    "old_status": "lost",
                    "new_status": "active",
                    "is_win_back": True,
                },
            ]
        )
        cls.recent_win_back = recent

    def _expected(self, xmlid, today):
        """The partners each filter must select, computed without searching."""
        partners = self.env["res.partner"].with_context(active_test=False).search([])
        if xmlid == "mailing_filter_missing_order":
            return partners.filtered("retention_missing_order")
        if xmlid == "mailing_filter_lost":
            return partners.filtered(lambda p: p.retention_status == "lost")
        if xmlid == "mailing_filter_expected_7_days":
            end = today + timedelta(days=7)
            return partners.filtered(
                lambda p: p.retention_expected_next_order_date and today <= p.retention_expected_next_order_date <= end
            )
        if xmlid == "mailing_filter_high_value_at_risk":
            values = sorted(v for v in partners.mapped("retention_value_at_risk") if v > 0)
            # the top fifth: at or above the 80th percentile (discrete) of the positive values
            threshold = values[max(0, -(-len(values) * 4 // 5) - 1)]
            return partners.filtered(lambda p: p.retention_value_at_risk >= threshold)
        since = today - timedelta(days=90)
        return (
            self.env["retention.status.history"]
            .search([])
            .filtered(lambda h: h.is_win_back and h.date >= since)
            .partner_id
        )

    def _mailing(self, mailing_filter):
        return self.env["mailing.mailing"].create(
            {
                "subject": "We miss you",
                "mailing_model_id": self.env.ref("base.model_res_partner").id,
                "mailing_filter_id": mailing_filter.id,
            }
        )

    def test_filters_installed(self):
        """The five saved filters exist, on contacts, with date-free domains."""
        for xmlid in FILTERS:
            mailing_filter = self.env.ref(f"order_retention_mass_mailing.{xmlid}")
            self.assertEqual(mailing_filter.mailing_model_name, "res.partner")
            self.assertNotRegex(mailing_filter.mailing_domain, r"\d{4}-\d{2}-\d{2}")
            literal_eval(mailing_filter.mailing_domain)

    def test_mailing_targets_filter_partners(self):
        """A mailing using each filter targets exactly the partners it selects."""
        self.assertTrue(self.customers, "the demo customers have a retention status")
        for xmlid in FILTERS:
            with self.subTest(filter=xmlid):
                mailing_filter = self.env.ref(f"order_retention_mass_mailing.{xmlid}")
                mailing = self._mailing(mailing_filter)
                self.assertEqual(mailing.mailing_domain, mailing_filter.mailing_domain)
                recipients = self.env["res.partner"].browse(mailing._get_recipients())
                expected = self._expected(xmlid, self.today)
                self.assertEqual(recipients, expected)
                if xmlid != "mailing_filter_expected_7_days":
                    self.assertTrue(recipients, f"{xmlid} selects nobody in the demo")
        self.assertEqual(
            self.env["res.partner"].search([("retention_won_back_90_days", "=", True)]),
            self.recent_win_back,
        )

    def test_relative_filters_follow_the_calendar(self):
        """The date-relative filters give the right partners on another day too."""
        dated = self.customers.filtered("retention_expected_next_order_date")
        self.assertTrue(dated)
        later = max(dated.mapped("retention_expected_next_order_date")) - timedelta(days=3)
        for xmlid in (
            "mailing_filter_expected_7_days",
            "mailing_filter_won_back_90_days",
        ):
            mailing_filter = self.env.ref(f"order_retention_mass_mailing.{xmlid}")
            domain = literal_eval(mailing_filter.mailing_domain)
            for day in (self.today - timedelta(days=100), later):
                with self.subTest(filter=xmlid, day=day), freeze_time(day):
                    found = self.env["res.partner"].search(domain)
                    self.assertEqual(found, self._expected(xmlid, day))

    def test_negated_search(self):
        """Searching for False is the complement among the customers."""
        for field_name in (
            "retention_expected_within_7_days",
            "retention_won_back_90_days",
        ):
            with self.subTest(field=field_name):
                yes = self.customers.filtered_domain([(field_name, "=", True)])
                no = self.customers.filtered_domain([(field_name, "=", False)])
                self.assertEqual(yes | no, self.customers)
                self.assertFalse(yes & no)
                self.assertEqual(
                    self.customers.search([("id", "in", self.customers.ids), (field_name, "!=", True)]),
                    no,
                )
                self.assertEqual({p.id for p in self.customers if p[field_name]}, set(yes.ids))

    def test_high_value_cutoff_per_company(self):
        """The top fifth is taken among the current company's figures (its rows of retention.customer): another
        company's customers, however valuable, do not move its cut-off (issue #21, #23)."""
        Partner = self.env["res.partner"]
        before = Partner.search([("retention_high_value_at_risk", "=", True)])
        self.assertTrue(before)
        other = self.env["res.company"].create({"name": "Huge Values Co"})
        Partner.create(
            [
                {"name": "Huge %s" % number, "company_id": other.id, "retention_value_at_risk": 10**9 + number}
                for number in range(50)
            ]
        )
        self.assertEqual(Partner.search([("retention_high_value_at_risk", "=", True)]), before)
        # seen from the other company, its own customers are the top fifth
        other_view = Partner.with_company(other).search(
            [("retention_high_value_at_risk", "=", True), ("company_id", "=", other.id)]
        )
        # the other company's own figures (retention.customer rows of that company)
        base = (
            Partner.with_company(other)
            .with_context(active_test=False)
            .search([("company_id", "in", [False, other.id])])
        )
        values = sorted(v for v in base.mapped("retention_value_at_risk") if v > 0)
        threshold = values[max(0, -(-len(values) * 4 // 5) - 1)]
        self.assertEqual(
            other_view, base.filtered(lambda p: p.company_id == other and p.retention_value_at_risk >= threshold)
        )
        self.assertTrue(other_view and all(name.startswith("Huge") for name in other_view.mapped("name")))

    def test_fuzz_search_operators(self):
        """Every domain operator and odd values on the filters' fields, as a salesperson: a result or a clear
        refusal, never a traceback."""
        from odoo.addons.order_retention.tests.search_fuzz import fuzz_search_orm, odd_values  # noqa: PLC0415

        salesperson = new_test_user(self.env, "mm_fuzz_sales", groups="sales_team.group_sale_salesman")
        fields_ = [
            ("res.partner", "retention_expected_within_7_days"),
            ("res.partner", "retention_won_back_90_days"),
            ("res.partner", "retention_high_value_at_risk"),
        ]
        counts, crashes = fuzz_search_orm(self, self.env(user=salesperson), fields_, odd_values(Random(20261204), 10))
        self.assertFalse(crashes, "tracebacks:\n%s" % "\n".join(map(str, crashes[:20])))
        self.assertGreater(counts["answered"], 0)
        self.assertGreater(counts["refused"], 0)

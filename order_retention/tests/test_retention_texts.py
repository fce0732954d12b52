"""Texts of the nightly cycle in their reader's language (issue #22): plural forms, dates in the reader's format,
the status history's sentence rendered when read, chatter notes and call summaries in the language of the
salesperson who reads them."""

import datetime

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import BaseCase, TransactionCase, tagged

from ..models import retention_text
from ..models.retention_cycle import RETENTION_STATUSES
from ..models.retention_policy import retention_system
from ..tools import plural
from .common import RetentionCommon

D = datetime.timedelta
NUMBERS = (1, 2, 5, 11, 21, 22, 25)
# what a Ukrainian / Russian reader expects for those numbers of days
DAYS = {
    "uk_UA": ["1 день", "2 дні", "5 днів", "11 днів", "21 день", "22 дні", "25 днів"],
    "ru_RU": ["1 день", "2 дня", "5 дней", "11 дней", "21 день", "22 дня", "25 дней"],
    "en_US": ["1 day", "2 days", "5 days", "11 days", "21 days", "22 days", "25 days"],
}
ORDERS = {
    "uk_UA": ["1 замовлення", "2 замовлення", "5 замовлень", "11 замовлень", "21 замовлення", "22 замовлення"],
    "ru_RU": ["1 заказ", "2 заказа", "5 заказов", "11 заказов", "21 заказ", "22 заказа"],
}


@tagged("at_install", "order_retention")
class TestPluralRules(BaseCase):
    def test_east_slavic_categories(self):
        expected = ["one", "few", "many", "many", "one", "few", "many"]
        for lang in ("uk_UA", "ru_RU"):
            with self.subTest(lang=lang):
                self.assertEqual([plural.category(lang, n) for n in NUMBERS], expected)
                self.assertEqual(plural.category(lang, 0), "many")
                self.assertEqual(plural.category(lang, 111), "many")
                self.assertEqual(plural.category(lang, 112), "many")
                self.assertEqual(plural.category(lang, 104), "few")
                self.assertEqual(plural.category(lang, 1.5), "other")

    def test_english_and_unknown_languages(self):
        for lang in ("en_US", "fr_FR", None, ""):
            with self.subTest(lang=lang):
                self.assertEqual(plural.category(lang, 1), "one")
                self.assertEqual([plural.category(lang, n) for n in (0, 2, 21, 1.5)], ["other"] * 4)

    def test_property_every_number_has_a_known_category(self):
        """For every whole number up to 10,000 (and its negative) the category is one of the CLDR ones, and in
        Ukrainian / Russian it depends only on the last two digits."""
        for n in range(10_001):
            for lang in ("uk_UA", "ru_RU", "en_US"):
                self.assertIn(plural.category(lang, n), plural.CATEGORIES)
                self.assertEqual(plural.category(lang, n), plural.category(lang, -n))
            self.assertEqual(plural.category("uk_UA", n), plural.category("uk_UA", n % 100 + 100))


@tagged("post_install", "-at_install", "order_retention", "order_retention_i18n")
class TestReaderLanguage(RetentionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in ("uk_UA", "ru_RU"):
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(["order_retention"], ["uk_UA", "ru_RU"], overwrite=True)

    def _env(self, lang):
        return self.env(context=dict(self.env.context, lang=lang))

    def test_day_counts_in_every_language(self):
        for lang, expected in DAYS.items():
            with self.subTest(lang=lang):
                env = self._env(lang)
                self.assertEqual([retention_text.count_phrase(env, n, "day") for n in NUMBERS], expected)
        for lang, expected in ORDERS.items():
            with self.subTest(lang=lang, unit="order"):
                env = self._env(lang)
                self.assertEqual([retention_text.count_phrase(env, n, "order") for n in NUMBERS[:6]], expected)

    def test_untranslated_language_falls_back_to_the_plural(self):
        """A language with four forms but no translation of them reads the English plural, never "[few]"."""
        self.env["res.lang"]._activate_lang("pl_PL")
        env = self._env("pl_PL")
        self.assertEqual(plural.category("pl_PL", 22), "few")
        for n in NUMBERS:
            phrase = retention_text.count_phrase(env, n, "day")
            self.assertNotIn("[", phrase)
            self.assertTrue(phrase.startswith(str(n)))

    def test_explanation_in_the_reader_language(self):
        """The same figures read in Ukrainian with the right plural and the Ukrainian date format."""
        figures = {
            "count": 12,
            "gap": 30,
            "spread": 2,
            "days": 34,
            "last": datetime.date(2026, 10, 31),
            "next": datetime.date(2026, 11, 30),
            "warning": 45,
            "missing": False,
            "chance": None,
            "horizon": 90,
        }
        english = retention_text.explain(self._env("en_US"), figures)
        self.assertIn("34 days", english)
        self.assertIn("11/30/2026", english)
        ukrainian = retention_text.explain(self._env("uk_UA"), figures)
        self.assertIn("34 дні", ukrainian)
        self.assertIn("12 замовлень", ukrainian)
        self.assertIn("30.11.2026", ukrainian)
        self.assertNotIn("days", ukrainian)
        russian = retention_text.explain(self._env("ru_RU"), dict(figures, days=21, missing=True))
        self.assertIn("21 день", russian)
        self.assertIn("45 дней", russian)

    def test_refusals_in_the_reader_language(self):
        """The policy's and the searches' refusals are translated (they run outside a model method: they use the
        caller's environment, not Odoo's frame guess, which logged "no translation language detected")."""
        from odoo.exceptions import UserError  # noqa: PLC0415

        Partner = self.env["res.partner"].with_context(lang="uk_UA")
        with self.assertRaises(UserError) as refusal:
            Partner.search([("retention_days_since_last_order", "like", "abc")])
        self.assertIn("Шукайте", str(refusal.exception))
        with self.assertRaises(UserError) as refusal:
            Partner.search([("retention_missing_order", "=", "maybe")])
        self.assertIn("Шукайте", str(refusal.exception))
        from ..models import retention_policy  # noqa: PLC0415

        with self.assertRaises(UserError) as refusal:
            retention_policy.check_call_again_date(self.env(context={"lang": "ru_RU"}, user=self.salesman), None)
        self.assertNotIn("Pick the date", str(refusal.exception))
        # counts inside refusals take their plural form, not an abbreviation ("90 днів", "90 дней", not "90 дн.")
        too_far = fields.Date.context_today(self.salesman) + datetime.timedelta(days=400)
        for lang, days in (("uk_UA", "90 днів"), ("ru_RU", "90 дней"), ("en_US", "90 days")):
            with self.assertRaises(UserError) as refusal:
                retention_policy.check_call_again_date(self.env(context={"lang": lang}, user=self.salesman), too_far)
            self.assertIn(days, str(refusal.exception))
            self.assertNotIn("дн.", str(refusal.exception))

    def test_call_names_read_in_the_reader_format_and_timezone(self):
        """A logged call is named (activity's verifying call, lists, many2one fields) with its moment in the
        reader's date format and timezone; the stored name keeps UTC for searching."""
        customer = self._create_customer("Call Name Customer")
        call = self.env["retention.call"].create(
            {
                "partner_id": customer.id,
                "phone_number": "+1 650 555 0100",
                "start": datetime.datetime(2026, 12, 4, 22, 30, 5),
                "duration_seconds": 60,
            }
        )
        self.assertIn("2026-12-04 22:30:05", call.name)
        kyiv = call.with_context(lang="uk_UA", tz="Europe/Kyiv")
        self.assertEqual(kyiv.display_name, "Call Name Customer 05.12.2026 00:30:05")
        pago = call.with_context(lang="en_US", tz="Pacific/Pago_Pago")
        self.assertEqual(pago.display_name, "Call Name Customer 12/04/2026 11:30:05")

    def test_last_contact_reads_as_a_person_reads_it(self):
        """Missing Orders and the queue show the last closed retention call as "day · outcome" in the reader's
        language and date format."""
        customer = self._create_customer("Kontakt Retail", user=self.salesman)
        self.assertFalse(customer.retention_last_contact)
        customer.write({"retention_last_outcome": "no_answer", "retention_last_outcome_date": "2026-12-01"})
        english = customer.with_context(lang="en_US").retention_last_contact
        self.assertEqual(english, "12/01/2026 · No answer")
        ukrainian = customer.with_context(lang="uk_UA").retention_last_contact
        self.assertTrue(ukrainian.startswith("01.12.2026 · "))
        self.assertNotIn("No answer", ukrainian)

    def test_why_now_reads_in_the_reader_language(self):
        """The queue's "Why Now" is stored as figures (rank, customers waiting) and read in each reader's language:
        a call scheduled at night for an English-speaking salesperson reads "№ 1 з 1" for a Ukrainian reader."""
        customer = self._create_customer("Rang Retail", user=self.salesman)
        self._create_orders(customer, self._regular_dates(self.BASE - D(days=120), 20, 8), amount=500.0)
        self._run(self.BASE)
        call = self._open_followups(customer)
        self.assertEqual(len(call), 1)
        self.assertEqual((call.retention_chosen_rank, call.retention_chosen_waiting), (1, 1))
        self.assertEqual(call.with_context(lang="en_US").retention_chosen, "No. 1 of 1")
        self.assertEqual(call.with_context(lang="uk_UA").retention_chosen, "№ 1 з 1")
        self.assertEqual(call.with_context(lang="ru_RU").retention_chosen, "№ 1 из 1")
        # the figures are the system's: a salesperson cannot rewrite their rank
        with self.assertRaises(AccessError):
            call.with_user(self.salesman).write({"retention_chosen_rank": 99})

    def test_history_reads_in_the_reader_language(self):
        """A status change recorded by the cycle is read in each reader's language (stored figures, not a
        sentence frozen in English)."""
        customer = self._create_customer("Tekst Retail", user=self.salesman)
        self._create_orders(customer, self._regular_dates(self.BASE - D(days=5), 30, 6), amount=100.0)
        self.Cycle._retention_compute_all(self.BASE)
        self.Cycle._retention_compute_all(self.BASE + D(days=60))
        history = self.env["retention.status.history"].search([("partner_id", "=", customer.id)], order="id desc")
        self.assertGreaterEqual(len(history), 2, "first classification and a change")
        change = history[0]
        self.assertTrue(change.order_count)
        english = change.with_context(lang="en_US").explanation
        ukrainian = change.with_context(lang="uk_UA").explanation
        self.assertIn("days", english)
        self.assertNotEqual(english, ukrainian)
        self.assertNotIn("days", ukrainian)
        self.assertIn(retention_text.count_phrase(self._env("uk_UA"), change.days_since_last_order, "day"), ukrainian)

    def test_history_and_summary_in_the_reader_language(self):
        """A status change is read in the reader's language from the status history (the customer's chatter holds
        none: issue #23), and the open retention call's summary is renamed in its assignee's."""
        self.salesman.lang = "uk_UA"
        customer = self._create_customer("Movna Retail", user=self.salesman)
        self._create_orders(customer, self._regular_dates(self.BASE - D(days=5), 30, 6), amount=100.0)
        self.Cycle._retention_compute_all(self.BASE)
        # an open retention call, as the nightly queue schedules it (the system)
        with retention_system():
            activity = self.env["mail.activity"].create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": customer.id,
                    "activity_type_id": self.env.ref("order_retention.mail_act_retention_call").id,
                    "user_id": self.salesman.id,
                    "summary": "Retention call",
                    "automated": True,
                }
            )
        before = customer.retention_status
        self.Cycle._retention_compute_all(self.BASE + D(days=60))
        self.assertNotEqual(customer.retention_status, before)
        notes = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", customer.id), ("body", "ilike", "→")]
        )
        self.assertFalse(notes, "no status change in the chatter")
        change = customer.retention_history_ids.sorted("id")[-1]
        self.assertEqual((change.old_status, change.new_status), (before, customer.retention_status))
        uk = self._env("uk_UA")
        labels = dict(uk["retention.status.history"]._fields["new_status"]._description_selection(uk))
        self.assertNotEqual(labels[change.new_status], dict(RETENTION_STATUSES)[change.new_status])
        self.assertIn(customer.retention_status, ("warm", "cold", "lost"))
        self.assertTrue(activity.active)
        expected = self.Cycle.with_context(lang="uk_UA")._retention_summaries()[customer.retention_status]
        self.assertEqual(activity.summary, expected)


@tagged("post_install", "-at_install", "order_retention")
class TestCycleSummaries(TransactionCase):
    def test_summaries_follow_the_language(self):
        self.env["res.lang"]._activate_lang("uk_UA")
        self.env["ir.module.module"]._load_module_terms(["order_retention"], ["uk_UA"], overwrite=True)
        Cycle = self.env["retention.cycle"]
        english = Cycle.with_context(lang="en_US")._retention_summaries()
        ukrainian = Cycle.with_context(lang="uk_UA")._retention_summaries()
        self.assertEqual(set(english), {"warm", "cold", "lost"})
        for status in english:
            self.assertNotEqual(english[status], ukrainian[status])

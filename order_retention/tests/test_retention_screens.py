import ast
import datetime
import re

from lxml import etree

from odoo import Command, fields
from odoo.tests import Form, tagged

from ..models.retention_cycle import RETENTION_STATUSES, STATUS_KANBAN_COLORS
from ..models.retention_policy import retention_system
from .common import RetentionCommon, set_retention_settings
from .hygiene_common import HygieneCommon

D = datetime.timedelta
STATUS_ORDER = [key for key, _label in RETENTION_STATUSES]
# the one decoration of each status, in every list, badge and form
STATUS_DECORATIONS = {"success": "active", "warning": "warm", "info": "cold", "muted": "lost"}


def _arch(env, xmlid):
    view = env.ref(xmlid)
    return etree.fromstring(env[view.model].get_views([(view.id, view.type)])["views"][view.type]["arch"])


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionScreens(RetentionCommon):
    """Missing Orders order, one order and colour per status, own partners never classified, the queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        set_retention_settings(cls.env, retention_lost_probability=1.0)
        set_retention_settings(cls.env, retention_lost_cap_days=5000)
        # three customers who order every 10 days and stopped 25, 60 and 200 days ago; the oldest is the biggest
        cls.fresh = cls._create_customer("Fresh Lapse Co", user=cls.salesman, phone="+1 650-555-0101")
        cls._create_orders(cls.fresh, cls._regular_dates(cls.BASE - D(days=25), 10, 8), amount=100.0)
        cls.middle = cls._create_customer("Middle Lapse Co", user=cls.salesman)
        cls._create_orders(cls.middle, cls._regular_dates(cls.BASE - D(days=60), 10, 8), amount=300.0)
        cls.old = cls._create_customer("Old Lapse Co", user=cls.salesman)
        cls._create_orders(cls.old, cls._regular_dates(cls.BASE - D(days=200), 10, 8), amount=5000.0)
        cls.lapsed = cls.fresh | cls.middle | cls.old

    def _list_order(self, xmlid):
        return _arch(self.env, xmlid).get("default_order")

    # --- 3. Missing Orders: fewest days since the last order first, value order one click away ---

    def test_missing_orders_fewest_days_first(self):
        """Missing Orders lists the freshest lapse first; 'Most at risk first' lists the highest value at risk first."""
        self._run(self.BASE)
        self.assertTrue(all(self.lapsed.mapped("retention_missing_order")))
        action = self.env.ref("order_retention.res_partner_action_missing_orders")
        list_view = action.view_ids.filtered(lambda v: v.view_mode == "list").view_id
        self.assertEqual(list_view, self.env.ref("order_retention.res_partner_view_list_retention"))
        domain = [("retention_missing_order", "=", True), ("partner_id", "in", self.lapsed.ids)]
        # Missing Orders lists the customers' figures (retention.customer), one row per customer
        self.assertEqual(list_view.model, "retention.customer")
        listed = self.env["retention.customer"].search(
            domain, order=self._list_order("order_retention.res_partner_view_list_retention")
        )
        self.assertEqual(listed.partner_id, self.fresh + self.middle + self.old)
        with self._on_day(self.BASE):
            self.assertEqual(listed.mapped("retention_days_since_last_order"), [25, 60, 200])
            # the day counts sort and filter through the stored dates
            Partner = self.env["retention.customer"]
            self.assertEqual(
                Partner.search(domain, order="retention_days_since_last_order").partner_id,
                self.fresh + self.middle + self.old,
            )
            self.assertEqual(
                Partner.search(domain, order="retention_overdue_days desc").partner_id,
                self.old + self.middle + self.fresh,
            )
            self.assertEqual(
                Partner.search(domain + [("retention_days_since_last_order", ">", 30)]).partner_id,
                self.middle + self.old,
            )
            self.assertEqual(
                Partner.search(domain + [("retention_overdue_days", "<=", 60)]).partner_id, self.fresh + self.middle
            )
            self.assertEqual(
                Partner.search([("partner_id", "in", self.lapsed.ids), ("retention_missing_order", "=", False)]),
                Partner,
            )
            grouped = Partner._read_group(domain, ["retention_missing_order"], ["retention_days_since_last_order:max"])
            self.assertEqual(grouped, [(True, 200)])
        by_value = self.env["retention.customer"].search(
            domain, order=self._list_order("order_retention.res_partner_view_list_retention_by_value")
        )
        self.assertEqual(set(by_value.ids), set(listed.ids))
        values = by_value.mapped("retention_value_at_risk")
        self.assertEqual(values, sorted(values, reverse=True))
        self.assertTrue(any(values), "the lapsed customers have a value at risk")
        # the one-click switch is in the list header and opens the by-value action
        button = _arch(self.env, "order_retention.res_partner_view_list_retention").find(".//header/button")
        value_action = self.env.ref("order_retention.res_partner_action_missing_orders_by_value")
        self.assertEqual(
            (button.get("type"), button.get("name"), button.get("display")), ("action", str(value_action.id), "always")
        )

    # --- 4. numbers a manager can read ---

    def test_numbers_are_whole_days_and_the_spread_matches_the_banner(self):
        """Day counts read as whole days; the ± of the explanation is the stored usual variation; amounts have a
        currency."""
        self._run(self.BASE)
        partner = self.fresh
        for fname in (
            "retention_expected_gap_days",
            "retention_warning_days",
            "retention_overdue_days",
            "retention_mean_gap_days",
            "retention_gap_std_days",
        ):
            row = partner.retention_customer_id
            self.assertEqual(row._fields[fname].get_digits(self.env), (16, 0), fname)  # shown as whole days
            self.assertEqual(row.fields_get([fname], ["digits"])[fname]["digits"], (16, 0), fname)
            # the customer's form shows the figure of the row with the same digits
            form = partner.get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertRegex(form, r'name="%s"[^>]*digits="\[16, 0\]"' % fname)
        match = re.search(r"every (\d+)±(\d+) days", partner.retention_explanation)
        self.assertTrue(match, partner.retention_explanation)
        self.assertEqual(int(match.group(1)), round(partner.retention_expected_gap_days))
        self.assertEqual(int(match.group(2)), partner.retention_gap_spread_days)
        self.assertEqual(partner._fields["retention_total_amount"].type, "monetary")
        self.assertEqual(partner.retention_currency_id, self.env.company.currency_id)
        self.assertAlmostEqual(partner.retention_total_amount, 800.0, places=2)
        self.assertGreater(partner.retention_annual_value, 0.0)
        self.assertAlmostEqual(
            partner.retention_value_at_risk,
            partner.retention_annual_value * partner.retention_churn_probability,
            places=0,
        )
        r, f, m = (int(c) for c in partner.retention_rfm_score)
        self.assertEqual(
            (partner.retention_rfm_recency, partner.retention_rfm_frequency, partner.retention_rfm_monetary), (r, f, m)
        )
        self.assertEqual(partner._fields["retention_overdue_probability"].string, "Silence Percentile")

    def test_every_retention_field_explains_itself(self):
        """Every retention field of the customer has a plain-language help."""
        described = self.env["res.partner"].fields_get(attributes=["help", "string"])
        missing = [
            name
            for name in described
            if name.startswith("retention_")
            and name not in ("retention_color", "retention_currency_id", "retention_history_ids")
            and not described[name].get("help")
        ]
        self.assertFalse(missing, "fields without help: %s" % missing)

    # --- 5. one order and one colour per status ---

    def _one_per_status(self):
        partners = self.env["res.partner"].create(
            [{"name": "Status %s" % key, "is_company": True} for key in reversed(STATUS_ORDER)]
        )
        for partner, key in zip(partners, reversed(STATUS_ORDER), strict=False):
            partner.write({"retention_status": key})
        return partners

    def test_status_order_everywhere(self):
        """Pivot, graph, kanban (empty columns too), lists and the history order statuses Active, Warm, Cold, Lost."""
        partners = self._one_per_status()
        Partner = self.env["retention.customer"]  # the lists, kanban, pivot and graph of the figures
        domain = [("partner_id", "in", partners.ids)]
        grouped = Partner._read_group(domain, ["retention_status"], ["__count"])
        self.assertEqual([key for key, _count in grouped], STATUS_ORDER)
        pivot = Partner.read_group(domain, ["retention_status"], ["retention_status"], lazy=False)  # pivot and graph
        self.assertEqual([row["retention_status"] for row in pivot], STATUS_ORDER)
        pivot_two = Partner.read_group(domain, ["user_id"], ["user_id", "retention_status"], lazy=False)
        self.assertEqual([row["retention_status"] for row in pivot_two], STATUS_ORDER)
        only_lost = [("partner_id", "=", partners.filtered(lambda p: p.retention_status == "lost").id)]
        kanban = Partner.web_read_group(only_lost, ["retention_status"], ["retention_status"])
        self.assertEqual(
            [group["retention_status"] for group in kanban["groups"]],
            STATUS_ORDER,
            "the kanban shows every status column, empty ones too, in order",
        )
        self.assertEqual(Partner.search(domain, order="retention_status").mapped("retention_status"), STATUS_ORDER)
        self.assertEqual(
            Partner.search(domain, order="retention_status desc").mapped("retention_status"), STATUS_ORDER[::-1]
        )
        history = self.env["retention.status.history"].create(
            [
                {"partner_id": partner.id, "date": self.BASE, "new_status": partner.retention_status}
                for partner in partners
            ]
        )
        rows = self.env["retention.status.history"]._read_group(
            [("id", "in", history.ids)], ["new_status"], ["__count"]
        )
        self.assertEqual([key for key, _count in rows], STATUS_ORDER)

    def test_one_colour_per_status(self):
        """Every status list, badge and form uses the same decoration per status; the kanban one colour each."""
        self.assertEqual(len(set(STATUS_KANBAN_COLORS.values())), 4)
        for partner in self._one_per_status():
            self.assertEqual(partner.retention_color, STATUS_KANBAN_COLORS[partner.retention_status])
        status_fields = {"retention_status", "new_status", "old_status", "status"}
        views = self.env["ir.ui.view"].search([("model_data_id.module", "=", "order_retention")])
        checked = 0
        for view in views:
            arch = etree.fromstring(view.arch_db)
            nodes = [
                node
                for node in arch.iter("list", "field")
                if (node.tag == "list" and any(f in (node.get("decoration-info") or "") for f in status_fields))
                or (node.tag == "field" and node.get("name") in status_fields and node.get("widget") == "badge")
            ]
            for node in nodes:
                for decoration, status in STATUS_DECORATIONS.items():
                    expression = node.get("decoration-%s" % decoration) or ""
                    with self.subTest(view=view.name, node=node.get("name") or node.tag, decoration=decoration):
                        if node.tag == "list" and decoration == "muted":
                            # a greyed row reads as an archived record: lost rows keep normal text, their
                            # status badge says lost (issue #22)
                            self.assertNotIn("'%s'" % status, expression)
                        else:
                            self.assertIn("'%s'" % status, expression)
                for other in ("danger", "primary"):
                    self.assertFalse(
                        any(f in (node.get("decoration-%s" % other) or "") for f in status_fields),
                        "%s: a status is never %s" % (view.name, other),
                    )
                checked += 1
        self.assertGreaterEqual(checked, 6, "lists, badges of the partner, history, queue and backtest are checked")

    # --- 6. own companies and employees are not customers ---

    def test_retention_tab_one_headline_risk(self):
        """The Retention tab shows one headline risk with its horizon named (churn risk over 180 days, with the
        value at risk) in one "Risk and value" section; the rules' 90-day chance only while the learned model
        decides (then it differs in meaning), explained by its help (issue #22)."""
        arch = etree.fromstring(
            self.env["res.partner"].get_views([(self.env.ref("base.view_partner_form").id, "form")])["views"]["form"][
                "arch"
            ]
        )
        page = arch.xpath("//page[@name='order_retention']")[0]
        titles = [group.get("string") for group in page.iter("group") if group.get("string")]
        self.assertEqual(len(titles), len(set(titles)), "no section twice: %s" % titles)
        self.assertEqual(len(page.xpath(".//field[@name='retention_churn_probability']")), 1)
        self.assertEqual(len(page.xpath(".//field[@name='retention_annual_value']")), 1)
        [rule] = page.xpath(".//field[@name='retention_p_no_order_90d']")
        self.assertIn("retention_churn_learned", rule.get("invisible") or "")
        fields_ = self.env["res.partner"]._fields
        self.assertIn("180", fields_["retention_churn_probability"].string)
        self.assertIn("90", fields_["retention_p_no_order_90d"].string)
        customer = self._create_customer("Headline Risk")
        customer.write({"retention_status": "warm"})  # a row of figures in the current company
        # the reader's today (their timezone), as the flag reads it: UTC's today is another day around midnight
        today = fields.Date.context_today(customer.retention_customer_id)
        run = self.env["retention.model.run"]._retention_latest(self.env.company, today)
        self.assertEqual(customer.retention_churn_learned, bool(run.model_used))

    def test_cancel_offered_only_to_who_may_remove(self):
        """The chatter offers Cancel on a retention call only to a sales manager (the flag the client reads);
        ordinary activities stay cancellable by their users (issue #22)."""
        customer = self._create_customer("Cancel Offer Retail", user=self.salesman)
        with retention_system():
            call = self.env["mail.activity"].create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": customer.id,
                    "activity_type_id": self.env.ref("order_retention.mail_act_retention_call").id,
                    "user_id": self.salesman.id,
                    "automated": True,
                }
            )
        todo = customer.activity_schedule("mail.mail_activity_data_todo", user_id=self.salesman.id)
        as_salesman = (call | todo).with_user(self.salesman)
        self.assertEqual(as_salesman.mapped("retention_may_remove"), [False, True])
        data = as_salesman[0].activity_format()["mail.activity"][0]
        self.assertIs(data["retention_may_remove"], False)
        manager = self.env.ref("base.user_admin")
        self.assertTrue(call.with_user(manager).retention_may_remove)

    def test_own_company_and_employees_not_classified(self):
        """Orders of the company itself, its contacts and internal users' partners never give a status."""
        own = self.env.company.partner_id
        own_contact = self.env["res.partner"].create({"name": "Jane Colleague", "parent_id": own.id})
        # not linked, but typed with the company's name as their company: "YourCompany, Joel Willis"
        typed_contact = self.env["res.partner"].create(
            {"name": "Joel Willis", "company_name": self.env.company.name.upper()}
        )
        employee = self.salesman.partner_id
        for partner in (own_contact, typed_contact, employee):
            self._create_orders(partner, self._regular_dates(self.BASE - D(days=40), 10, 6), user=self.salesman)
        # classified by an earlier version, with an open retention call: both cleared by the next run
        own.write({"retention_status": "cold"})
        stale = own.activity_schedule(activity_type_id=self.activity_type.id, user_id=self.salesman.id)
        self._run(self.BASE)
        self.assertFalse(stale.active, "the stale retention call of your own company is closed")
        self.assertFalse(own.retention_status)
        self.assertFalse(own_contact.commercial_partner_id.retention_status)
        self.assertFalse(typed_contact.retention_status)
        self.assertFalse(employee.commercial_partner_id.retention_status)
        self.assertEqual(self.fresh.retention_status, "cold", "real customers are still classified")
        self.assertFalse(self._open_followups(own), "no retention call for your own company")

    def test_backtest_undefined_ratio_is_na(self):
        """When nobody is flagged lost, the backtest says n/a, not 0 %; defined ratios read as whole percents."""
        backtest = (
            self.env["retention.backtest"]
            .with_user(self.leader)
            .create({"as_of": self.BASE - D(days=30), "horizon_days": 30})
        )
        backtest.action_run()
        self.assertFalse(backtest.line_ids.filtered(lambda line: line.status == "lost").customers)
        self.assertEqual(backtest.lost_precision_text, "n/a (nobody flagged lost)")
        self.assertEqual(
            backtest.line_ids.filtered(lambda line: line.status == "lost").order_rate_text, "n/a (no customer)"
        )
        self.assertRegex(backtest.missing_precision_text, r"^\d+ %$")
        self.assertEqual(self.env["retention.backtest"]._retention_percent(2 / 3, "n/a"), "67 %")

    # --- 2. the salesperson's queue ---

    def test_my_retention_calls(self):
        """The queue lists the salesperson's retention calls (customer, status, reason, phone); a line opens the
        customer."""
        self._run(self.BASE)
        activity = self._open_followups(self.fresh)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.summary, "Retention call: cold customer")
        self.assertFalse(self.fresh.activity_exception_decoration, "the queue and lists never show 'Warning'")
        self.activity_type.decoration_type = "warning"  # as installed by an earlier version: cleared on update
        self.env["mail.activity.type"]._retention_clear_warning_decoration()
        self.assertFalse(self.activity_type.decoration_type)
        self.assertEqual(
            self.fresh.activity_summary, "Retention call: cold customer", "what the Next Activity column shows"
        )
        self.Cycle._retention_rename_open_followups([(0, self.fresh.id, "cold", "lost")])
        self.assertEqual(activity.summary, "Retention call: lost customer", "an open call names the current status")
        self.Cycle._retention_rename_open_followups([(0, self.fresh.id, "lost", "cold")])
        action = self.env.ref("order_retention.mail_activity_action_retention_calls")
        Activity = self.env["mail.activity"].with_user(self.salesman)
        queue = Activity.search(ast.literal_eval(action.domain) + [("user_id", "=", self.salesman.id)])
        self.assertEqual(queue.retention_partner_id, self.lapsed)
        mine = queue.filtered(lambda a: a.retention_partner_id == self.fresh)
        with self._on_day(self.BASE):
            self.assertRecordValues(
                mine,
                [
                    {
                        "retention_status": "cold",
                        "retention_phone": "+1 650-555-0101",
                        "retention_days_silent": 25,
                        "retention_explanation": self.fresh.retention_explanation,
                        "date_deadline": self.BASE,
                    }
                ],
            )
        self.assertAlmostEqual(mine.retention_total_amount, 800.0, places=2)
        opened = mine.action_open_retention_customer()
        self.assertEqual((opened["res_model"], opened["res_id"]), ("res.partner", self.fresh.id))
        # it opens on the Retention tab (issue #22): the form's Retention page is the default one
        [(view_id, view_type)] = opened["views"]
        arch = (
            self.env["res.partner"].with_user(self.salesman).get_views([(view_id, view_type)])["views"]["form"]["arch"]
        )
        self.assertRegex(arch, r'<page[^>]*name="order_retention"[^>]*autofocus="autofocus"')
        grouped = Activity._read_group([("id", "in", queue.ids)], ["retention_status"], ["__count"])
        self.assertEqual(grouped, [("cold", 3)])
        # an activity of another type is not in the queue
        other = self.fresh.activity_schedule("mail.mail_activity_data_todo", user_id=self.salesman.id)
        self.assertNotIn(other, Activity.search(ast.literal_eval(action.domain)))
        # the activity menu: a "Retention Calls" entry, not counted among the contacts' activities
        groups = self.env["res.users"].with_user(self.salesman)._get_activity_groups()
        retention = [g for g in groups if g.get("retention_action")]
        self.assertEqual(len(retention), 1)
        self.assertEqual(retention[0]["overdue_count"] + retention[0]["today_count"] + retention[0]["planned_count"], 3)
        contacts = [g for g in groups if g.get("model") == "res.partner" and not g.get("retention_action")]
        self.assertEqual(
            sum(g["today_count"] + g["overdue_count"] + g["planned_count"] for g in contacts),
            1,
            "only the to-do is left under Contacts",
        )

    def test_customer_retention_calls_show_open_and_done(self):
        """A customer's retention calls list shows status, done date and the verifying call, done ones included."""
        self._run(self.BASE)
        activity = self._open_followups(self.fresh)
        self._close(activity, self.BASE)
        action = self.fresh.action_view_retention_activities()
        view_id = action["views"][0][0]
        self.assertEqual(view_id, self.env.ref("order_retention.mail_activity_view_list_customer_retention_calls").id)
        columns = {
            node.get("name")
            for node in _arch(self.env, "order_retention.mail_activity_view_list_customer_retention_calls").iter(
                "field"
            )
        }
        self.assertLessEqual({"state", "date_done", "retention_call_id", "date_deadline", "user_id"}, columns)
        listed = self.env["mail.activity"].with_context(**action["context"]).search(action["domain"])
        self.assertEqual(listed.mapped("state"), ["done"])
        self.assertEqual(listed.date_done, self.BASE)

    def test_manager_override_reloads_the_view(self):
        """Closing without a call reloads the view underneath (the closed call must not look open)."""
        self._run(self.BASE)
        activity = self._open_followups(self.fresh)
        wizard = (
            self.env["mail.activity.retention.override"]
            .with_user(self.leader)
            .create({"activity_ids": [Command.set(activity.ids)], "reason": "Ordered by e-mail"})
        )
        result = wizard.action_close()
        self.assertEqual(result, {"type": "ir.actions.client", "tag": "soft_reload"})
        self.assertFalse(activity.active)


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionManagerScreens(HygieneCommon):
    """Cancellation analysis counts orders; duplicates totals; call log readability."""

    def test_cancellation_analysis_counts_orders(self):
        """The analysis has one row per cancelled order, however many lines; products are in Cancelled Products."""
        three_lines = self._quote(lines=[(self.prod_a, 1), (self.prod_b, 1), (self.prod_c, 1)])
        one_line = self._quote(lines=[(self.prod_a, 2)])
        for order in three_lines | one_line:
            order.with_context(retention_cancel_reason_id=self.reason_mind.id).action_cancel()
        self.env.flush_all()
        Report = self.env["retention.cancel.report"]
        domain = [("order_id", "in", (three_lines | one_line).ids)]
        [(reason, orders, rows)] = Report._read_group(domain, ["reason_id"], ["order_id:count_distinct", "__count"])
        self.assertEqual((reason, orders, rows), (self.reason_mind, 2, 2))
        Lines = self.env["retention.cancel.line.report"]
        by_product = {
            product: (orders, qty)
            for product, orders, qty in Lines._read_group(
                domain, ["product_id"], ["order_id:count_distinct", "product_uom_qty:sum"]
            )
        }
        self.assertEqual(by_product[self.prod_a], (2, 3.0))
        self.assertEqual(by_product[self.prod_b], (1, 1.0))
        pivot = _arch(self.env, "order_retention.retention_cancel_report_view_pivot")
        measures = [node.get("name") for node in pivot.iter("field") if node.get("type") == "measure"]
        self.assertEqual(measures[0], "order_id", "the first (default) measure counts orders")
        graph = _arch(self.env, "order_retention.retention_cancel_report_view_graph")
        self.assertEqual([n.get("name") for n in graph.iter("field") if n.get("type") == "measure"], ["order_id"])
        self.assertEqual(Report._fields["amount"].type, "monetary")
        listed = [
            n.get("name") for n in _arch(self.env, "order_retention.retention_cancel_report_view_list").iter("field")
        ]
        self.assertNotIn("product_uom_qty", listed, "no quantity summed over unrelated products")
        lines_list = _arch(self.env, "order_retention.retention_cancel_line_report_view_list")
        self.assertIn("product_uom_id", [n.get("name") for n in lines_list.iter("field")])
        menu = self.env.ref("order_retention.retention_cancel_line_report_menu")
        self.assertEqual(menu.parent_id, self.env.ref("order_retention.retention_cancel_analysis_menu"))

    def test_duplicates_preview_totals_and_products(self):
        """The duplicates preview names the products and totals only what will be cancelled, extra-large dialog."""
        kept = self._quote(lines=[(self.prod_a, 1), (self.prod_b, 2)], days_ago=1)
        dropped = self._quote(lines=[(self.prod_a, 1), (self.prod_b, 2)], days_ago=3)
        form = Form(self.env["sale.order.retention.duplicate"])
        form.partner_id = self.customer
        wizard = form.save()
        action = wizard.action_preview()
        self.assertEqual(action["context"]["dialog_size"], "extra-large")
        self.assertEqual(wizard.line_ids.filtered("is_keeper").order_id, kept)
        self.assertEqual(wizard.cancel_amount, dropped.amount_total)
        line = wizard.line_ids.filtered(lambda ln: ln.order_id == dropped)
        self.assertEqual(line.products, "Hygiene Product A × 1, Hygiene Product B × 2")
        arch = _arch(self.env, "order_retention.sale_order_retention_duplicate_view_form")
        self.assertFalse(
            [n for n in arch.iter("field") if n.get("name") == "amount_total" and n.get("sum")],
            "no footer total adding the kept quotation",
        )

    def test_call_log_long_enough_is_not_from_telephony(self):
        """A 12 s call from the telephony is 'from telephony' but not long enough to close a retention call."""
        from ..models import retention_call as rc

        token = rc._INGESTING.set(True)
        try:
            short, long_ = self.env["retention.call"].create(
                [
                    {
                        "phone_number": "+1 650-555-0199",
                        "duration_seconds": seconds,
                        "source": "pbx",
                        "external_id": ext,
                    }
                    for seconds, ext in ((12, "short-1"), (95, "long-1"))
                ]
            )
        finally:
            rc._INGESTING.reset(token)
        manual = self.env["retention.call"].create({"phone_number": "+1 650-555-0199", "duration_seconds": 300})
        self.assertEqual((short.verified, short.qualifies), (True, False))
        self.assertEqual((long_.verified, long_.qualifies), (True, True))
        self.assertEqual((manual.verified, manual.qualifies), (False, False))
        calls = short | long_ | manual
        self.assertEqual(self.env["retention.call"].search([("id", "in", calls.ids), ("qualifies", "=", True)]), long_)
        self.assertEqual(
            self.env["retention.call"].search([("id", "in", calls.ids), ("qualifies", "=", False)]), short | manual
        )
        arch = _arch(self.env, "order_retention.retention_call_view_list")
        duration = next(n for n in arch.iter("field") if n.get("name") == "duration_seconds")
        self.assertEqual(duration.get("widget"), "retention_duration", "durations read as m:ss")

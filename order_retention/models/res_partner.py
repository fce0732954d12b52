import datetime
import logging
import math

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from . import retention_policy as policy
from . import retention_search, retention_text
from .retention_call import OUTCOMES
from .retention_cycle import (
    RETENTION_STATUSES,
    RFM_SEGMENT_SELECTION,
    STATUS_KANBAN_COLORS,
    status_rank_sql,
    status_rank_terms,
)

_logger = logging.getLogger(__name__)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # CALL LOG (calls, matching numbers, smart button)
    # ------------------------------------------------------------------

    retention_call_count = fields.Integer(
        compute="_compute_retention_call_count",
        string="Calls",
        help="Phone calls logged with this customer and its contacts (telephony and typed by hand).",
    )

    def _compute_retention_call_count(self):
        counts = dict(
            self.env["retention.call"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.retention_call_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_retention_calls(self):
        """Calls with this customer (all its contacts)."""
        policy.check_internal(self.env)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("order_retention.retention_call_action")
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id, "default_phone_number": self.phone or self.mobile}
        return action

    retention_phone_changed = fields.Datetime(
        string="Number changed on",
        readonly=True,
        copy=False,
        help="When the phone or mobile number was last changed. A call older than this change is not "
        "trusted to be with this customer until a sales manager confirms it.",
    )
    retention_restore_order_id = fields.Many2one(
        "sale.order",
        string="Follow-up to restore",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="A win-back order that closed this customer's retention call and was cancelled soon after: the "
        "next cycle puts the follow-up back.",
    )

    # --- what the last retention call found out (see mail.activity.retention.outcome) ---
    retention_last_outcome = fields.Selection(
        OUTCOMES,
        string="Last Call Outcome",
        readonly=True,
        copy=False,
        help="What happened on the last retention call that was closed.",
    )
    retention_last_churn_reason_id = fields.Many2one(
        "retention.churn.reason",
        string="Why Not Ordering",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The reason the customer gave on the last retention call where they were reached.",
    )
    retention_last_outcome_date = fields.Date(
        string="Last Call Outcome On",
        readonly=True,
        copy=False,
        help="The day the last retention call with this customer was closed with an outcome.",
    )
    retention_last_contact = fields.Char(
        string="Last Contact",
        compute="_compute_retention_last_contact",
        help="The last retention call closed with this customer: its day and what came of it (e.g. 12/01/2026 · "
        "No answer). Empty when no retention call was closed yet.",
    )
    retention_next_call_date = fields.Date(
        string="Call Again On",
        readonly=True,
        copy=False,
        help="The customer asked to be called again on this day: the next retention call is due then.",
    )
    retention_lost_for_good = fields.Boolean(
        string="Lost for Good",
        readonly=True,
        copy=False,
        index=True,
        help="The salesperson recorded that this customer will not order again: no more retention calls until "
        "they order again. A sales manager can resume the follow-ups.",
    )

    retention_lost_request_ids = fields.One2many(
        "retention.lost.request",
        "partner_id",
        string="Lost-for-Good Requests",
        readonly=True,
        help="Salespeople's requests to stop the retention calls of this customer for good, and what the sales "
        "managers decided.",
    )
    retention_lost_requested = fields.Boolean(
        string="Lost for Good Requested",
        compute="_compute_retention_lost_requested",
        help="A salesperson asked to stop this customer's retention calls for good: a sales manager confirms or "
        "rejects it; until then the customer stays in the call queue.",
    )

    def _compute_retention_lost_requested(self):
        Request = self.env["retention.lost.request"].sudo()
        pending = Request.search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("state", "=", "pending"),
                ("company_id", "in", self.env.companies.ids),
            ]
        ).partner_id
        for partner in self:
            partner.retention_lost_requested = partner.commercial_partner_id in pending

    def _retention_pending_lost_requests(self):
        """The pending lost-for-good requests of these customers the caller (a sales manager) may decide."""
        policy.check_decide_lost_for_good(self.env)
        requests = self.env["retention.lost.request"].search(
            [("partner_id", "in", self.commercial_partner_id.ids), ("state", "=", "pending")]
        )
        if not requests:
            raise UserError(_("There is no lost-for-good request of this customer to decide."))
        return requests

    def action_retention_confirm_lost(self):
        """Confirm the pending lost-for-good request (sales managers of its company)."""
        return self._retention_pending_lost_requests().action_confirm()

    def action_retention_reject_lost(self):
        """Reject the pending lost-for-good request: the customer stays in the loop (sales managers)."""
        return self._retention_pending_lost_requests().action_reject()

    def action_retention_resume_followups(self):
        """Undo "lost for good" (sales managers): retention calls resume at the next cycle."""
        policy.check_manager(self.env, _("Only a sales manager can resume the follow-ups of a customer lost for good."))
        customers = self.commercial_partner_id.filtered("retention_lost_for_good")
        with policy.retention_system():
            customers.sudo().write({"retention_lost_for_good": False, "retention_followup_checked": False})
        for customer in customers:
            customer.message_post(body=_("Retention calls resumed by %(user)s.", user=self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # GUARDS (who may change what; see retention_policy)
    # ------------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _retention_system_fields(self):
        """Fields written by the retention cycle only (statistics, status, follow-up bookkeeping); computed
        once per registry, as every partner write asks for them."""
        return tuple(
            name
            for name, field in self._fields.items()
            if name.startswith("retention_")
            and (field.store or field.type == "one2many")
            and not field.compute
            and not field.related
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not policy.is_system(self.env):
            system_fields = self._retention_system_fields()
            for vals in vals_list:
                for fname in system_fields:
                    vals.pop(fname, None)
        partners = super().create(vals_list)
        with_number = partners.filtered(lambda p: p.phone or p.mobile)
        if with_number:
            # a contact created with the number of an unmatched call: the match comes after the call
            self.env["retention.call"]._retention_rematch_numbers(with_number)
        return partners

    def write(self, vals):
        moved_in_loop = self.browse()
        if not policy.is_system(self.env):
            forged = [f for f in self._retention_system_fields() if f in vals]
            if forged:
                raise AccessError(
                    _("%(fields)s are computed by the retention cycle and cannot be written.", fields=", ".join(forged))
                )
            if "user_id" in vals:
                self._retention_check_salesperson_change(vals["user_id"])
            if "company_id" in vals:
                moved_in_loop = policy.check_company_move(self.env, self, vals["company_id"])
            if "active" in vals and not vals["active"]:
                self._retention_check_removal(_("archive"))
        number_changed = {"phone", "mobile"} & set(vals)
        if number_changed:
            vals = dict(vals, retention_phone_changed=fields.Datetime.now())
        res = super().write(vals)
        if number_changed:
            self.env["retention.call"]._retention_rematch_numbers(self)
        for customer in moved_in_loop.sudo():
            customer.message_post(
                body=_(
                    "%(user)s moved this customer to %(company)s while a retention call was open.",
                    user=self.env.user.name,
                    company=customer.company_id.name or _("all companies"),
                )
            )
        return res

    def toggle_active(self):
        if not policy.is_system(self.env):
            self.filtered("active")._retention_check_removal(_("archive"))
        return super().toggle_active()

    def unlink(self):
        if not policy.is_system(self.env):
            self._retention_check_removal(_("delete"))
        return super().unlink()

    def _retention_open_followups(self):
        """Open retention calls of these partners or of their customers (commercial partners)."""
        partners = self.sudo()
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", (partners | partners.commercial_partner_id).ids),
                    ("activity_type_id.retention_requires_verified_call", "=", True),
                ]
            )
        )

    def _retention_check_removal(self, verb):
        """Archiving, deleting or merging a customer (or a contact of it) with an open retention call
        removes the call with it: refused except for a sales manager, whose removal is logged."""
        followups = self._retention_open_followups()
        if not followups:
            return
        names = ", ".join(self.sudo().browse(followups.mapped("res_id")).mapped("display_name"))
        if not policy.is_manager(self.env):
            raise UserError(
                _(
                    "%(customers)s has an open retention call: you cannot %(verb)s this customer or its contacts. "
                    "Call the customer and mark the retention call done first, or ask a sales manager.",
                    customers=names,
                    verb=verb,
                )
            )
        for customer in self.sudo().browse(set(followups.mapped("res_id"))):
            customer.message_post(
                body=_(
                    "%(user)s chose to %(verb)s %(partners)s while a retention call was open; the retention call is "
                    "removed with it.",
                    user=self.env.user.name,
                    verb=verb,
                    partners=", ".join(self.mapped("display_name")),
                )
            )

    def _retention_check_salesperson_change(self, user_id):
        """Own Documents Only salespeople see the retention data of their own customers: they may make
        themselves the salesperson of a customer nobody owns, never take over or hand over a colleague's
        (that would widen or shift what they see). All-documents users and managers may change it."""
        user = self.env.user
        if not user.has_group("sales_team.group_sale_salesman") or user.has_group(policy.ALL_DOCUMENTS_GROUP):
            return
        for partner in self:
            if partner.user_id.id == (user_id or False):
                continue
            if partner.user_id or user_id != user.id:
                raise AccessError(
                    _(
                        "Only a sales manager can change the salesperson of %(partner)s: you can only make yourself "
                        "the salesperson of a customer who has none.",
                        partner=partner.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # QUOTATION HYGIENE
    # ------------------------------------------------------------------

    def action_retention_find_duplicate_quotations(self):
        """Open the duplicate quotations clean-up for this customer."""
        policy.check_internal(self.env)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_retention.sale_order_retention_duplicate_action_all"
        )
        action["context"] = {"default_partner_id": self.commercial_partner_id.id, "dialog_size": "extra-large"}
        return action

    # ------------------------------------------------------------------
    # RETENTION CADENCE AND CYCLE
    # ------------------------------------------------------------------
    # Written in bulk by the daily cycle (see retention_engine.py) on commercial partners only:
    # plain stored fields, never computes depending on sale orders (those would lock partner rows
    # on every order write).

    retention_status = fields.Selection(
        RETENTION_STATUSES,
        readonly=True,
        copy=False,
        index=True,
        group_expand=True,
        help="Where the customer stands against their own ordering rhythm, recomputed every night. "
        "Active: ordering on rhythm. Warm: later than their usual gap, not alarming yet. Cold: past their "
        "warning level, an order is missing. Lost: silent so long that a new order is unlikely. Warm, cold and "
        "lost customers get a retention call. Empty: no confirmed order yet, or one of your own companies or "
        "employees (never classified).",
    )
    retention_status_since = fields.Date(
        string="Status Since", readonly=True, copy=False, help="Day the customer entered the current status."
    )
    # Day counts and today's flags are derived at read time from stored dates (STYLE 3.4): the
    # nightly run then rewrites only the customers whose status or statistics changed. They stay
    # searchable (_search_*), sortable and groupable (_field_to_sql / _order_field_to_sql below).
    retention_missing_order = fields.Boolean(
        string="Missing Order",
        compute="_compute_retention_day_counts",
        search="_search_retention_missing_order",
        help="Silent longer than their warning level: the order this customer usually places by now has not "
        "come. Call them.",
    )
    retention_days_since_last_order = fields.Integer(
        string="Days Silent",
        compute="_compute_retention_day_counts",
        search="_search_retention_days_since_last_order",
        help="Whole days since the last confirmed order of the customer or any of its contacts.",
    )
    retention_last_order_date = fields.Date(
        string="Last Order",
        readonly=True,
        copy=False,
        index=True,
        help="Date of the latest confirmed order of the customer or any of its contacts.",
    )
    retention_order_count = fields.Integer(
        string="Purchase Occasions",
        readonly=True,
        copy=False,
        help="Days with at least one confirmed order: several orders on the same day count once.",
    )
    retention_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_retention_currency_id",
        help="Currency of the retention amounts (total ordered, annual value, value at risk): the company currency.",
    )
    retention_total_amount = fields.Monetary(
        string="Total Ordered",
        readonly=True,
        copy=False,
        currency_field="retention_currency_id",
        help="Untaxed amount of every confirmed order of the customer and its contacts, in the company currency.",
    )
    retention_mean_gap_days = fields.Float(
        string="Average Gap (raw)",
        readonly=True,
        copy=False,
        digits=(16, 0),
        help="Plain average of the days between this customer's purchase occasions, without adjustment: one "
        "long pause pulls it up. For information; the alerts use the usual gap.",
    )
    retention_gap_std_days = fields.Float(
        string="Gap Variation (raw)",
        readonly=True,
        copy=False,
        digits=(16, 0),
        help="Standard deviation of the days between purchase occasions, without adjustment. For information; "
        "the alerts use the usual variation (the ± of the explanation).",
    )
    retention_expected_gap_days = fields.Float(
        string="Usual Gap",
        readonly=True,
        copy=False,
        digits=(16, 0),
        help="The customer's typical number of days between two orders, as the alerts use it: the typical "
        "(geometric mean) gap of their history, pulled toward the rhythm of similar customers (same sales "
        "team) when the history is short. The 'every N±S days' of the explanation.",
    )
    retention_gap_spread_days = fields.Integer(
        string="Usual Variation (± days)",
        readonly=True,
        copy=False,
        help="How many days the customer's gap usually varies around the usual gap: the ± of the explanation "
        "('every 24±8 days').",
    )
    retention_expected_next_order_date = fields.Date(
        string="Expected Next Order",
        readonly=True,
        copy=False,
        index=True,
        help="Last order + usual gap: when the next order would normally come.",
    )
    retention_warning_days = fields.Float(
        string="Warning Level",
        readonly=True,
        copy=False,
        digits=(16, 0),
        help="Days of silence after which an order counts as missing: the usual gap stretched by its usual "
        "variation (Settings: warning level z), never less than a few days past the usual gap. Past it the "
        "missing-order alert fires.",
    )
    retention_warning_date = fields.Date(
        string="Missing From",
        readonly=True,
        copy=False,
        index=True,
        help="Last order + warning level: from the day after, the order counts as missing.",
    )
    retention_gap_log_sd = fields.Float(
        string="Gap Dispersion",
        readonly=True,
        copy=False,
        digits=(16, 4),
        help="Spread of the customer's gaps on a log scale (with the usual gap: the silence percentile).",
    )
    retention_overdue_days = fields.Float(
        string="Overdue By",
        compute="_compute_retention_day_counts",
        search="_search_retention_overdue_days",
        digits=(16, 0),
        help="Days silent minus the usual gap: positive means the next order is that many days late, negative "
        "that it is not due yet.",
    )
    retention_overdue_probability = fields.Float(
        string="Silence Percentile",
        compute="_compute_retention_day_counts",
        digits=(16, 2),
        help="Share of this customer's usual gaps that are shorter than the current silence: 90 % means nine "
        "gaps in ten were shorter, the silence is unusually long. Not a probability of ordering.",
    )
    retention_p_no_order_90d = fields.Float(
        string="Lost Rule: No Order in 90 Days",
        readonly=True,
        copy=False,
        digits=(16, 2),
        help="The chance of no order in the next 90 days from the buying pattern of all your customers (BG/NBD), "
        "used by the rules of Settings: a customer past the alert level with at least the Settings' chance is "
        "lost. Shown apart from the churn risk only while the learned churn model is in use (then the two can "
        "differ: the learned model decides).",
    )
    retention_churn_learned = fields.Boolean(
        string="Learned Churn Model in Use",
        compute="_compute_retention_churn_learned",
        help="The latest nightly run used the churn model learned from your own history (Churn Models); before "
        "it has enough history, the churn risk comes from the customer's rhythm.",
    )
    retention_churn_probability = fields.Float(
        string="Churn Risk (180 Days)",
        readonly=True,
        copy=False,
        digits=(16, 2),
        aggregator="avg",
        help="Chance that this customer places no order in the next 180 days. Learned each day from how your "
        "own customers behaved in the past (silence, usual gap, number and size of orders); on a small history "
        "it comes from the customer's ordering rhythm instead.",
    )
    retention_annual_value = fields.Monetary(
        string="Annual Value",
        readonly=True,
        copy=False,
        currency_field="retention_currency_id",
        help="What this customer orders in a year at their usual pace (untaxed, company currency): the total "
        "ordered over the period their orders cover. With a single order, that order once per usual gap of "
        "similar customers, or once per the days since that order when longer.",
    )
    retention_value_at_risk = fields.Monetary(
        string="Value at Risk",
        readonly=True,
        copy=False,
        currency_field="retention_currency_id",
        help="Annual value × churn probability: the yearly business you can expect to lose if nothing is done. "
        "Sort the customer lists by it to call the most valuable first.",
    )
    retention_rfm_score = fields.Char(
        string="RFM Score",
        readonly=True,
        copy=False,
        help="Three digits from 1 to 5: Recency (5 = ordered most recently), Frequency (5 = most purchase "
        "occasions), Monetary (5 = highest total) compared with your other customers. 545 = recent, frequent, "
        "big spender.",
    )
    retention_rfm_recency = fields.Integer(
        string="Recency (R)",
        compute="_compute_retention_rfm_digits",
        help="1 to 5: how recently the customer ordered compared with your other customers (5 = most recent fifth).",
    )
    retention_rfm_frequency = fields.Integer(
        string="Frequency (F)",
        compute="_compute_retention_rfm_digits",
        help="1 to 5 by purchase occasions: 1 = one, 2 = two, 3 = three, 4 = four or five, 5 = six or more.",
    )
    retention_rfm_monetary = fields.Integer(
        string="Monetary (M)",
        compute="_compute_retention_rfm_digits",
        help="1 to 5: total ordered compared with your other customers (5 = top fifth).",
    )
    retention_rfm_segment = fields.Selection(
        RFM_SEGMENT_SELECTION,
        string="RFM Segment",
        readonly=True,
        copy=False,
        index=True,
        help="Marketing segment from recency and frequency: Champions and Loyal order often and recently; At Risk "
        "and Can't Lose Them used to order often but have gone quiet; Hibernating and Lost are long gone.",
    )
    retention_explanation = fields.Text(
        string="Explanation",
        compute="_compute_retention_explanation",
        help="One sentence with the numbers behind the status; also the note of the retention call.",
    )
    retention_last_computed = fields.Datetime(
        string="Retention computed on",
        readonly=True,
        copy=False,
        help="When the daily computation last changed these figures (a rerun that changes nothing keeps this time).",
    )
    retention_followup_checked = fields.Date(
        string="Follow-up checked on",
        readonly=True,
        copy=False,
        help="Last day the retention cycle checked this customer's follow-up activity.",
    )
    retention_team_id = fields.Many2one(
        "crm.team",
        string="Retention Sales Team",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Sales team of the customer's latest confirmed order (the customer's peer group).",
    )
    retention_color = fields.Integer(compute="_compute_retention_color")
    retention_history_ids = fields.One2many(
        "retention.status.history",
        "partner_id",
        string="Status History",
        readonly=True,
    )

    @api.depends("company_id")
    @api.depends_context("company")
    def _compute_retention_currency_id(self):
        for partner in self:
            partner.retention_currency_id = partner.company_id.currency_id or self.env.company.currency_id

    @api.model
    def _retention_today(self):
        """The day the day counts are counted to: today in the user's timezone."""
        return fields.Date.context_today(self)

    @api.depends(
        "retention_last_order_date", "retention_expected_gap_days", "retention_warning_date", "retention_gap_log_sd"
    )
    @api.depends_context("tz")
    def _compute_retention_day_counts(self):
        today = self._retention_today()
        for partner in self:
            last = partner.retention_last_order_date
            if not last:
                partner.update(
                    {
                        "retention_days_since_last_order": 0,
                        "retention_overdue_days": 0.0,
                        "retention_missing_order": False,
                        "retention_overdue_probability": 0.0,
                    }
                )
                continue
            days = (today - last).days
            gap, sd = partner.retention_expected_gap_days, partner.retention_gap_log_sd
            percentile = 0.0
            if gap and sd:
                z = (math.log(max(days, 0.5)) - math.log(gap)) / sd
                percentile = 0.5 * math.erfc(-z / math.sqrt(2.0))
            partner.update(
                {
                    "retention_days_since_last_order": days,
                    "retention_overdue_days": days - gap,
                    "retention_missing_order": bool(
                        partner.retention_warning_date and today > partner.retention_warning_date
                    ),
                    "retention_overdue_probability": percentile,
                }
            )

    @api.depends(
        "retention_status",
        "retention_last_order_date",
        "retention_order_count",
        "retention_expected_gap_days",
        "retention_gap_spread_days",
        "retention_warning_days",
        "retention_expected_next_order_date",
        "retention_warning_date",
        "retention_churn_probability",
    )
    @api.depends_context("lang", "tz")
    def _compute_retention_explanation(self):
        """The engine's sentence rebuilt from the stored facts, with today's day count."""
        classified = self.filtered("retention_status")
        (self - classified).retention_explanation = False
        if not classified:
            return
        run = (
            self.env["retention.model.run"]
            .sudo()
            .search([("date", "<=", self._retention_today())], order="date desc, id desc", limit=1)
        )
        for partner in classified:
            partner.retention_explanation = retention_text.explain(
                self.env,
                {
                    "count": partner.retention_order_count,
                    "gap": partner.retention_expected_gap_days,
                    "spread": partner.retention_gap_spread_days,
                    "days": partner.retention_days_since_last_order,
                    "last": partner.retention_last_order_date,
                    "next": partner.retention_expected_next_order_date,
                    "warning": partner.retention_warning_days,
                    "missing": partner.retention_missing_order,
                    "chance": partner.retention_churn_probability if run.model_used else None,
                    "horizon": run.horizon_days,
                },
            )

    @api.model
    def _retention_day_bound(self, operator, value, field_label):
        """(operator, date) on the last order date equivalent to ``days silent <operator> value``."""
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
        if operator not in flipped:
            raise UserError(
                _(
                    "Search %(field)s with =, !=, <, <=, > or >= and a number of days (not %(operator)s).",
                    field=field_label,
                    operator=str(operator)[:20],
                )
            )
        days = retention_search.day_count(self.env, operator, value, field_label)
        return flipped[operator], self._retention_today() - datetime.timedelta(days=days)

    def _retention_day_domain(self, date_field, operator, value, field_label):
        """``days <operator> value`` as a domain on ``date_field`` (empty day count: no date)."""
        if value is False or value is None:
            if operator not in ("=", "!="):
                raise UserError(_("Search %(field)s with = or != when the value is empty.", field=field_label))
            return [(date_field, operator, False)]
        op, day = self._retention_day_bound(operator, value, field_label)
        return [(date_field, op, day)]

    def _search(self, domain, offset=0, limit=None, order=None):
        retention_search.check_any_operators(self, domain)
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _search_retention_days_since_last_order(self, operator, value):
        return self._retention_day_domain("retention_last_order_date", operator, value, _("Days Silent"))

    def _search_retention_overdue_days(self, operator, value):
        """On the expected next order date (overdue by N days: expected N days ago)."""
        return self._retention_day_domain("retention_expected_next_order_date", operator, value, _("Days Overdue"))

    def _search_retention_missing_order(self, operator, value):
        today = self._retention_today()
        return retention_search.boolean_domain(
            self.env,
            operator,
            value,
            [("retention_warning_date", "<", today)],
            _("Missing Order"),
            negative=["|", ("retention_warning_date", "=", False), ("retention_warning_date", ">=", today)],
        )

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        """The day counts in SQL (group by, aggregates), from the stored dates and today."""
        if fname in ("retention_days_since_last_order", "retention_overdue_days", "retention_missing_order"):
            today = self._retention_today()
            last = super()._field_to_sql(alias, "retention_last_order_date", query, flush)
            if fname == "retention_days_since_last_order":
                return SQL("(%s::date - %s)", today, last)
            if fname == "retention_overdue_days":
                gap = super()._field_to_sql(alias, "retention_expected_gap_days", query, flush)
                return SQL("((%s::date - %s) - %s)", today, last, gap)
            warning = super()._field_to_sql(alias, "retention_warning_date", query, flush)
            return SQL("COALESCE(%s < %s::date, FALSE)", warning, today)
        return super()._field_to_sql(alias, fname, query, flush)

    def _compute_retention_churn_learned(self):
        run = (
            self.env["retention.model.run"]
            .sudo()
            .search([("date", "<=", self._retention_today())], order="date desc, id desc", limit=1)
        )
        self.retention_churn_learned = bool(run.model_used)

    @api.depends("retention_last_outcome", "retention_last_outcome_date")
    @api.depends_context("lang")
    def _compute_retention_last_contact(self):
        labels = dict(self._fields["retention_last_outcome"]._description_selection(self.env))
        for partner in self:
            outcome = labels.get(partner.retention_last_outcome) if partner.retention_last_outcome else ""
            day = retention_text.date_text(self.env, partner.retention_last_outcome_date)
            partner.retention_last_contact = " · ".join(part for part in (day, outcome) if part) or False

    @api.depends("retention_status")
    def _compute_retention_color(self):
        for partner in self:
            partner.retention_color = STATUS_KANBAN_COLORS.get(partner.retention_status, 0)

    @api.depends("retention_rfm_score")
    def _compute_retention_rfm_digits(self):
        for partner in self:
            score = partner.retention_rfm_score or ""
            digits = [int(c) for c in score] if len(score) == 3 and score.isdigit() else [0, 0, 0]
            partner.retention_rfm_recency, partner.retention_rfm_frequency, partner.retention_rfm_monetary = digits

    # statuses sort Active -> Warm -> Cold -> Lost (not alphabetically) in lists, pivot, graph and kanban
    # day counts sort through the stored dates (indexed): fewest days silent first = latest last order first
    _RETENTION_DAY_ORDER = {
        "retention_days_since_last_order": "retention_last_order_date",
        "retention_overdue_days": "retention_expected_next_order_date",
    }

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        if field_name in self._RETENTION_DAY_ORDER:
            reverse = SQL("DESC") if direction.code != "DESC" else SQL("ASC")
            # keep the customers without any order where the day count would put them (NULL days sort last ascending)
            default_nulls = "NULLS FIRST" if direction.code == "DESC" else "NULLS LAST"
            reverse_nulls = SQL("NULLS LAST") if (nulls.code or default_nulls) == "NULLS FIRST" else SQL("NULLS FIRST")
            return super()._order_field_to_sql(
                alias, self._RETENTION_DAY_ORDER[field_name], reverse, reverse_nulls, query
            )
        if field_name == "retention_overdue_probability":
            # the percentile grows with (ln(days) - ln(gap)) / sd: sorting on that is exact
            last = self._field_to_sql(alias, "retention_last_order_date", query)
            gap = self._field_to_sql(alias, "retention_expected_gap_days", query)
            sd = self._field_to_sql(alias, "retention_gap_log_sd", query)
            return SQL(
                "((ln(greatest(%s::date - %s, 0.5)) - ln(nullif(%s, 0))) / nullif(%s, 0)) %s %s",
                self._retention_today(),
                last,
                gap,
                sd,
                direction,
                nulls,
            )
        if field_name == "retention_status":
            return SQL("%s %s %s", status_rank_sql(self._field_to_sql(alias, field_name, query)), direction, nulls)
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    def _read_group_orderby(self, order, groupby_terms, query):
        return super()._read_group_orderby(order, status_rank_terms(groupby_terms, ("retention_status",)), query)

    @api.model
    def _cron_retention_cycle(self, batch_size=1000):
        """Daily retention cycle, one step per call (ir.cron calls it again while progress remains):
        first the cadence of every customer is recomputed and written back (once per day), then
        follow-up activities are checked for one batch of warm/cold/lost customers."""
        return self.env["retention.cycle"]._run_step(batch_size=batch_size)

    def action_view_retention_activities(self):
        """Open the customer's retention call activities, open and done."""
        policy.check_internal(self.env)
        self.ensure_one()
        activity_type = self.env["retention.cycle"]._retention_activity_type()
        return {
            "type": "ir.actions.act_window",
            "name": _("Retention calls of %(customer)s", customer=self.display_name),
            "res_model": "mail.activity",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("order_retention.mail_activity_view_list_customer_retention_calls").id, "list"),
                (False, "form"),
            ],
            "domain": [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.commercial_partner_id.id),
                ("activity_type_id", "=", activity_type.id),
            ],
            "context": {
                "active_test": False,
                "default_res_model": "res.partner",
                "default_res_id": self.commercial_partner_id.id,
                "default_activity_type_id": activity_type.id,
            },
        }

    def action_retention_recompute(self):
        """Recompute the cadence of every customer now (button on the partner form; sales managers)."""
        policy.check_manager(self.env, _("Only a sales manager can recompute the retention statuses."))
        self.env["retention.cycle"].sudo()._retention_compute_all()
        return True

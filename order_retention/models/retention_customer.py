"""The retention figures of a customer in one company: what the nightly cycle computes (status, rhythm,
churn risk, value at risk, RFM), what the last retention call found out, and where the customer stands in the
retention-call queue.

One row per customer (commercial partner) and company, written by the cycle only (retention.cycle and
retention.queue, set-based SQL on this narrow table; never on ``res_partner``, the most shared table of an Odoo
database). Readers see the rows of their own and unowned customers, or all with All Documents, like the calls and
the status history (security/order_retention_security.xml); ``res.partner`` shows the current company's row only
to those (``retention_customer_id`` and the fields related to it, res_partner.py).
"""

import datetime
import math

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from . import retention_policy as policy
from . import retention_search, retention_text
from .res_partner_queue import CALL_STOPS
from .retention_call import OUTCOMES
from .retention_cycle import (
    RETENTION_STATUSES,
    RFM_SEGMENT_SELECTION,
    STATUS_KANBAN_COLORS,
    status_rank_sql,
    status_rank_terms,
)
from .retention_figures import FigureFloat, FigureMonetary


class RetentionCustomer(models.Model):
    _name = "retention.customer"
    _description = "Customer Retention Figures"
    _rec_name = "partner_id"
    _order = "id"
    _check_company_auto = True
    # written by the cycle (``retention_last_computed`` says when): no creator / writer columns, whose four foreign
    # key checks per row were a quarter of the first night's insert of a million customers
    _log_access = False

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
        help="The customer (company or individual) these figures are about, all its contacts' orders included.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        ondelete="cascade",
        help="The company whose orders, salespeople and settings these figures come from: a customer of two of "
        "your companies has a row in each.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        related="partner_id.user_id",
        store=True,
        index="btree_not_null",
        help="The customer's salesperson: with Own Documents Only, salespeople see the figures of their own "
        "customers and of customers nobody owns.",
    )
    retention_open_call = fields.Char(
        string="Open Call",
        compute="_compute_retention_open_call",
        help="The customer's open retention call in this company: when it is due and who makes it.",
    )

    # Few indexes (the unique pair, the status, the last order with the warning date, and partial ones on the
    # queue's sparse columns): a table the nightly run rewrites row by row is cheaper to write the fewer indexes it
    # has, and a narrow table of a million rows scans in a fraction of a second where no index helps (RFM segment,
    # team).
    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one row of retention figures per company.",
        ),
    ]

    # ------------------------------------------------------------------
    # THE FIGURES (written by the cycle only)
    # ------------------------------------------------------------------

    # --- what the last retention call found out (mail.activity.retention.outcome) ---

    retention_restore_order_id = fields.Many2one(
        "sale.order",
        string="Follow-up to restore",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="A win-back order that closed this customer's retention call and was cancelled soon after: the "
        "next cycle puts the follow-up back.",
    )

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
        help="The salesperson recorded that this customer will not order again: no more retention calls until "
        "they order again. A sales manager can resume the follow-ups.",
    )

    # --- the cycle's figures (retention.cycle, every night) ---

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
        # indexed together with the warning date (init): see LAST_ORDER_INDEX
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

    retention_total_amount = FigureMonetary(
        string="Total Ordered",
        readonly=True,
        copy=False,
        currency_field="retention_currency_id",
        help="Untaxed amount of every confirmed order of the customer and its contacts, in the company currency.",
    )

    retention_mean_gap_days = FigureFloat(
        string="Average Gap (raw)",
        readonly=True,
        copy=False,
        digits=(16, 0),
        help="Plain average of the days between this customer's purchase occasions, without adjustment: one "
        "long pause pulls it up. For information; the alerts use the usual gap.",
    )

    retention_gap_std_days = FigureFloat(
        string="Gap Variation (raw)",
        readonly=True,
        copy=False,
        digits=(16, 0),
        help="Standard deviation of the days between purchase occasions, without adjustment. For information; "
        "the alerts use the usual variation (the ± of the explanation).",
    )

    retention_expected_gap_days = FigureFloat(
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
        help="Last order + usual gap: when the next order would normally come.",
    )

    retention_warning_days = FigureFloat(
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
        help="Last order + warning level: from the day after, the order counts as missing.",
    )

    retention_gap_log_sd = FigureFloat(
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

    retention_p_no_order_90d = FigureFloat(
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

    retention_churn_probability = FigureFloat(
        string="Churn Risk (180 Days)",
        readonly=True,
        copy=False,
        digits=(16, 2),
        aggregator="avg",
        help="Chance that this customer places no order in the next 180 days. Learned each day from how your "
        "own customers behaved in the past (silence, usual gap, number and size of orders); on a small history "
        "it comes from the customer's ordering rhythm instead.",
    )

    retention_annual_value = FigureMonetary(
        string="Annual Value",
        readonly=True,
        copy=False,
        currency_field="retention_currency_id",
        help="What this customer orders in a year at their usual pace (untaxed, company currency): the total "
        "ordered over the period their orders cover. With a single order, that order once per usual gap of "
        "similar customers, or once per the days since that order when longer.",
    )

    retention_value_at_risk = FigureMonetary(
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

    retention_team_id = fields.Many2one(
        "crm.team",
        string="Retention Sales Team",
        readonly=True,
        copy=False,
        help="Sales team of the customer's latest confirmed order (the customer's peer group).",
    )

    retention_color = fields.Integer(compute="_compute_retention_color")

    # --- where the customer stands in the retention-call queue (retention.queue, every night) ---

    retention_call_priority = FigureMonetary(
        string="Call Worth",
        readonly=True,
        copy=False,
        currency_field="retention_currency_id",
        help="What a retention call to this customer is worth: the value at risk times the chance that a call wins "
        "them back after this long a silence. Free slots in the salespeople's queues go to the highest first.",
    )

    retention_waiting_since = fields.Date(
        string="Waiting Since",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Needs a retention call but none is open yet: their salesperson's queue is full. Set the first night "
        "the customer waited; cleared when a call is scheduled or no call is needed any more.",
    )

    retention_queue_user_id = fields.Many2one(
        "res.users",
        string="Queue Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Whose retention calls this customer waits for: the salesperson, else the team leader, else the user "
        "chosen in Settings.",
    )

    retention_queue_rank = fields.Integer(
        string="Rank",
        compute="_compute_retention_queue_rank",
        help="Place in the queue of waiting customers of the same salesperson (1 = next call to schedule).",
    )

    retention_call_stop = fields.Selection(
        CALL_STOPS,
        string="Left the Call Queue",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Why this customer gets no more retention calls (only the low-touch e-mail or SMS of Settings, if "
        "any): too many unanswered calls, a silence longer than the limit of Settings, or a reason such as a "
        "one-time purchase. Ordering again or a sales manager puts them back.",
    )

    retention_unanswered_calls = fields.Integer(
        string="Unanswered Calls in a Row",
        readonly=True,
        copy=False,
        help="Retention calls closed with no answer or a wrong number since the customer was last reached.",
    )

    retention_kept_in_queue = fields.Boolean(
        string="Kept in the Call Queue",
        readonly=True,
        copy=False,
        help="A sales manager put this customer back in the call queue: the silence limit no longer takes them out "
        "(until they order again).",
    )

    retention_low_touch_date = fields.Date(
        string="Last Retention Message",
        readonly=True,
        copy=False,
        help="When the last automatic retention e-mail or SMS was queued for this customer.",
    )

    # ------------------------------------------------------------------
    # COMPUTED AT READ TIME (day counts, flags, sentences)
    # ------------------------------------------------------------------

    @api.depends("company_id")
    @api.depends_context("company")
    def _compute_retention_currency_id(self):
        for customer in self:
            customer.retention_currency_id = customer.company_id.currency_id or self.env.company.currency_id

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
        for customer in self:
            last = customer.retention_last_order_date
            if not last:
                customer.update(
                    {
                        "retention_days_since_last_order": 0,
                        "retention_overdue_days": 0.0,
                        "retention_missing_order": False,
                        "retention_overdue_probability": 0.0,
                    }
                )
                continue
            days = (today - last).days
            gap, sd = customer.retention_expected_gap_days, customer.retention_gap_log_sd
            percentile = 0.0
            if gap and sd:
                z = (math.log(max(days, 0.5)) - math.log(gap)) / sd
                percentile = 0.5 * math.erfc(-z / math.sqrt(2.0))
            customer.update(
                {
                    "retention_days_since_last_order": days,
                    "retention_overdue_days": days - gap,
                    "retention_missing_order": bool(
                        customer.retention_warning_date and today > customer.retention_warning_date
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
        runs = {}
        for customer in classified:
            if customer.company_id not in runs:
                runs[customer.company_id] = self.env["retention.model.run"]._retention_latest(
                    customer.company_id, self._retention_today()
                )
            run = runs[customer.company_id]
            customer.retention_explanation = retention_text.explain(
                self.env,
                {
                    "count": customer.retention_order_count,
                    "gap": customer.retention_expected_gap_days,
                    "spread": customer.retention_gap_spread_days,
                    "days": customer.retention_days_since_last_order,
                    "last": customer.retention_last_order_date,
                    "next": customer.retention_expected_next_order_date,
                    "warning": customer.retention_warning_days,
                    "missing": customer.retention_missing_order,
                    "chance": customer.retention_churn_probability if run.model_used else None,
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
        today = self._retention_today()
        for company, customers in self.grouped("company_id").items():
            customers.retention_churn_learned = bool(
                self.env["retention.model.run"]._retention_latest(company, today).model_used
            )

    @api.depends("retention_last_outcome", "retention_last_outcome_date")
    @api.depends_context("lang")
    def _compute_retention_last_contact(self):
        labels = dict(self._fields["retention_last_outcome"]._description_selection(self.env))
        for customer in self:
            outcome = labels.get(customer.retention_last_outcome) if customer.retention_last_outcome else ""
            day = retention_text.date_text(self.env, customer.retention_last_outcome_date)
            customer.retention_last_contact = " · ".join(part for part in (day, outcome) if part) or False

    @api.depends("retention_status")
    def _compute_retention_color(self):
        for customer in self:
            customer.retention_color = STATUS_KANBAN_COLORS.get(customer.retention_status, 0)

    @api.depends("retention_rfm_score")
    def _compute_retention_rfm_digits(self):
        for customer in self:
            score = customer.retention_rfm_score or ""
            digits = [int(c) for c in score] if len(score) == 3 and score.isdigit() else [0, 0, 0]
            customer.retention_rfm_recency, customer.retention_rfm_frequency, customer.retention_rfm_monetary = digits

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

    @api.depends_context("uid")
    def _compute_retention_queue_rank(self):
        """Rank among the waiting customers of the same queue, computed when read (stored ranks would rewrite
        every waiting customer each night)."""
        waiting = self.filtered("retention_waiting_since")
        ranks = {}
        if waiting:
            self.flush_model(
                [
                    "retention_waiting_since",
                    "retention_queue_user_id",
                    "retention_call_priority",
                    "retention_restore_order_id",
                ]
            )
            ranks = dict(
                self.env.execute_query(
                    SQL(
                        """
                SELECT id, rank FROM (
                    SELECT p.id, row_number() OVER (
                               PARTITION BY p.retention_queue_user_id
                               -- a cancelled win-back is served first (retention.queue), so it ranks first
                               ORDER BY p.retention_restore_order_id IS NOT NULL DESC,
                                        p.retention_call_priority DESC NULLS LAST, p.id) AS rank
                      FROM retention_customer p
                     WHERE p.retention_waiting_since IS NOT NULL
                       AND p.retention_queue_user_id IN %(users)s
                ) ranked WHERE id IN %(ids)s
                """,
                        users=tuple(set(waiting.retention_queue_user_id.ids)) or (0,),
                        ids=tuple(waiting.ids),
                    )
                )
            )
        for customer in self:
            customer.retention_queue_rank = ranks.get(customer.id, 0)

    def write(self, vals):
        res = super().write(vals)
        self._retention_invalidate_readers()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        rows = super().create(vals_list)
        rows._retention_invalidate_readers()
        return rows

    @api.model
    def _retention_invalidate_readers(self):
        """The customer's form and its retention calls show these figures through fields related to the row (not
        stored): forget what they read."""
        Partner = self.env["res.partner"]
        Partner.invalidate_model(["retention_customer_id", *Partner._retention_row_fields()], flush=False)
        Activity = self.env["mail.activity"]
        Activity.invalidate_model(
            [
                name
                for name, field in Activity._fields.items()
                if (field.related or "").startswith("retention_customer_id.")
            ]
            + ["retention_customer_id"],
            flush=False,
        )

    # Missing Orders (warning date before today, latest last order first) through one index on both dates: walking
    # the last orders backwards, the warning date is checked inside the index, so the active customers who ordered
    # lately (most of the top of that order) are skipped without reading their rows. On the last order alone, the
    # list read 687,000 rows to find its 80 at 1M customers (1.6-4.8 s); on both dates, 2-5 ms. Same index size (two
    # dates fill the 16 bytes one date takes); it also sorts and filters by the last order alone.
    LAST_ORDER_INDEX = "retention_customer_last_order_warning_index"

    def init(self):
        res = super().init()
        tools.create_index(
            self.env.cr,
            self.LAST_ORDER_INDEX,
            self._table,
            ["retention_last_order_date", "retention_warning_date"],
        )
        # the last order's index of its own (18.0.1.3.0 before this one), which Odoo keeps when a field loses
        # index=True: the index above does its work
        tools.sql.drop_index(self.env.cr, "retention_customer__retention_last_order_date_index", self._table)
        # the nightly figures change in place: room left on each page keeps those updates HOT (no index written)
        self.env.cr.execute(SQL("ALTER TABLE retention_customer SET (fillfactor = 80)"))
        return res

    # ------------------------------------------------------------------
    # READING
    # ------------------------------------------------------------------

    @api.depends("partner_id.display_name", "company_id")
    def _compute_display_name(self):
        multi = len(self.env.companies) > 1
        for customer in self:
            name = customer.partner_id.display_name or ""
            customer.display_name = "%s (%s)" % (name, customer.company_id.name) if multi and name else name

    @api.depends_context("lang")
    def _compute_retention_open_call(self):
        """Read as the system: whoever reads the row may know that a call is planned and by whom."""
        calls = self.env["retention.cycle"]._retention_open_calls(self.partner_id)
        by_key = {}
        for call in calls.sorted("date_deadline"):
            key = (call.res_id, call.retention_company_id.id)
            by_key.setdefault(key, call)
        for customer in self:
            call = by_key.get((customer.partner_id.id, customer.company_id.id)) or by_key.get(
                (customer.partner_id.id, False)
            )
            customer.retention_open_call = (
                "%s · %s" % (retention_text.date_text(self.env, call.date_deadline), call.user_id.name)
                if call
                else False
            )

    def action_retention_keep_in_queue(self):
        """Put these customers back in the retention-call queue of their rows' companies (sales managers; see
        res.partner)."""
        for company, rows in self.grouped("company_id").items():
            rows.partner_id.with_company(company).action_retention_keep_in_queue()
        return True

    def _search(self, domain, offset=0, limit=None, order=None):
        retention_search.check_any_operators(self, domain)
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def action_open_customer(self):
        """Open the customer's form on its Retention tab (a row of the lists and kanban of this model)."""
        policy.check_internal(self.env)
        self.ensure_one()
        self.partner_id.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            # the customer's form on its Retention tab (figures, explanation, history)
            "views": [(self.env.ref("order_retention.view_partner_form_retention_tab").id, "form")],
            "target": "current",
        }

    @api.model
    def _retention_rows(self, partners, company=None, create=True):
        """The rows of ``partners``' customers (commercial partners) in ``company`` (default: each customer's own
        company, else the current one), as the system (the cycle's and the outcome dialog's bookkeeping); created
        empty where missing unless ``create`` is False."""
        Rows = self.sudo().with_context(active_test=False)
        rows = Rows.browse()
        customers = partners.commercial_partner_id
        by_company = (
            {company: customers} if company else customers.sudo().grouped(lambda p: p.company_id or self.env.company)
        )
        for row_company, company_customers in by_company.items():
            found = Rows.search([("partner_id", "in", company_customers.ids), ("company_id", "=", row_company.id)])
            missing = company_customers - found.partner_id
            if missing and create:
                with policy.retention_system():
                    found |= Rows.create([{"partner_id": p.id, "company_id": row_company.id} for p in missing])
            rows |= found
        return rows

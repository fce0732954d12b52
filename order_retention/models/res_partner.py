import logging

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError

from . import retention_policy as policy
from . import retention_search

_logger = logging.getLogger(__name__)


# The figures shown on a partner are the current company's row, as the current user may read it, in the user's
# language and timezone (day counts, explanation): cached per all four.
FIGURES_CONTEXT = ("uid", "company", "lang", "tz")


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
    # --- what the last retention call found out (see mail.activity.retention.outcome) ---
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
        rows = (
            self.env["retention.customer"]._retention_rows(self, self.env.company).filtered("retention_lost_for_good")
        )
        with policy.retention_system():
            rows.write({"retention_lost_for_good": False})
        for customer in rows.partner_id:
            customer.message_post(body=_("Retention calls resumed by %(user)s.", user=self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # GUARDS (who may change what; see retention_policy)
    # ------------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _retention_system_fields(self):
        """Fields written by the retention cycle only (the figures of retention.customer shown here, the
        bookkeeping kept on the partner); computed once per registry, as every partner write asks for them."""
        return tuple(
            name
            for name, field in self._fields.items()
            if name.startswith("retention_")
            and (
                ((field.store or field.type == "one2many") and not field.compute and not field.related)
                # the figures shown from retention.customer (a write would reach the row)
                or (field.related or "").startswith("retention_customer_id.")
                or name == "retention_customer_id"
            )
        )

    @api.model
    @tools.ormcache()
    def _retention_row_fields(self):
        """The fields shown here from retention.customer (same names there)."""
        return tuple(
            name for name, field in self._fields.items() if (field.related or "").startswith("retention_customer_id.")
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not policy.is_system(self.env):
            system_fields = self._retention_system_fields()
            for vals in vals_list:
                for fname in system_fields:
                    vals.pop(fname, None)
        row_fields = self._retention_row_fields()
        figures = [{name: vals.pop(name) for name in row_fields if name in vals} for vals in vals_list]
        partners = super().create(vals_list)
        for partner, partner_figures in zip(partners, figures, strict=True):
            if partner_figures:
                # the system's bookkeeping (tests, scripts): onto the customer's row of the partner's company
                self.env["retention.customer"]._retention_rows(partner).write(partner_figures)
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
        figures = {name: vals[name] for name in self._retention_row_fields() if name in vals}
        if figures:
            # the system's bookkeeping (tests, scripts): onto the customer's row of the current company
            vals = {name: value for name, value in vals.items() if name not in figures}
            self.env["retention.customer"]._retention_rows(self).write(figures)
        number_changed = {"phone", "mobile"} & set(vals)
        if number_changed:
            vals = dict(vals, retention_phone_changed=fields.Datetime.now())
        res = super().write(vals) if vals or not figures else True
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
    # RETENTION FIGURES (retention.customer: one row per customer and company, written by the cycle)
    # ------------------------------------------------------------------
    # The partner stores none of them: the nightly run never rewrites res_partner. The fields below read the
    # current company's row of the customer (its commercial partner) with the reader's own rights: a salesperson
    # with Own Documents Only gets nothing for a colleague's customer (the row's record rules), on the form as
    # in read, search_read, export or a domain. Searchable through the row; lists that sort or group by them are
    # built on retention.customer. Float figures come unrounded (digits=False: a related Float would round them to
    # the row's display digits); the form gives each its digits.

    retention_customer_id = fields.Many2one(
        "retention.customer",
        string="Retention Figures",
        compute="_compute_retention_customer_id",
        search="_search_retention_customer_id",
        help="This customer's retention figures in the current company, if you may read them.",
    )
    retention_figures_hidden = fields.Boolean(
        string="Figures of Another Salesperson",
        compute="_compute_retention_customer_id",
        help="This customer has retention figures in the current company that only its salesperson and the sales "
        "managers may read.",
    )
    retention_status = fields.Selection(
        related="retention_customer_id.retention_status", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_status_since = fields.Date(
        related="retention_customer_id.retention_status_since", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_missing_order = fields.Boolean(
        related="retention_customer_id.retention_missing_order", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_days_since_last_order = fields.Integer(
        related="retention_customer_id.retention_days_since_last_order",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
    )
    retention_last_order_date = fields.Date(
        related="retention_customer_id.retention_last_order_date", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_order_count = fields.Integer(
        related="retention_customer_id.retention_order_count", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_currency_id = fields.Many2one(
        related="retention_customer_id.retention_currency_id", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_total_amount = fields.Monetary(
        related="retention_customer_id.retention_total_amount", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_mean_gap_days = fields.Float(
        related="retention_customer_id.retention_mean_gap_days",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_gap_std_days = fields.Float(
        related="retention_customer_id.retention_gap_std_days",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_expected_gap_days = fields.Float(
        related="retention_customer_id.retention_expected_gap_days",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_gap_spread_days = fields.Integer(
        related="retention_customer_id.retention_gap_spread_days", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_expected_next_order_date = fields.Date(
        related="retention_customer_id.retention_expected_next_order_date",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
    )
    retention_warning_days = fields.Float(
        related="retention_customer_id.retention_warning_days",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_warning_date = fields.Date(
        related="retention_customer_id.retention_warning_date", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_gap_log_sd = fields.Float(
        related="retention_customer_id.retention_gap_log_sd",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_overdue_days = fields.Float(
        related="retention_customer_id.retention_overdue_days",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_overdue_probability = fields.Float(
        related="retention_customer_id.retention_overdue_probability",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_p_no_order_90d = fields.Float(
        related="retention_customer_id.retention_p_no_order_90d",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_churn_learned = fields.Boolean(
        related="retention_customer_id.retention_churn_learned", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_churn_probability = fields.Float(
        related="retention_customer_id.retention_churn_probability",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
        digits=False,
    )
    retention_annual_value = fields.Monetary(
        related="retention_customer_id.retention_annual_value", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_value_at_risk = fields.Monetary(
        related="retention_customer_id.retention_value_at_risk", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_rfm_score = fields.Char(
        related="retention_customer_id.retention_rfm_score", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_rfm_recency = fields.Integer(
        related="retention_customer_id.retention_rfm_recency", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_rfm_frequency = fields.Integer(
        related="retention_customer_id.retention_rfm_frequency", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_rfm_monetary = fields.Integer(
        related="retention_customer_id.retention_rfm_monetary", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_rfm_segment = fields.Selection(
        related="retention_customer_id.retention_rfm_segment", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_explanation = fields.Text(
        related="retention_customer_id.retention_explanation", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_last_computed = fields.Datetime(
        related="retention_customer_id.retention_last_computed", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_team_id = fields.Many2one(
        related="retention_customer_id.retention_team_id", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_color = fields.Integer(
        related="retention_customer_id.retention_color", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_restore_order_id = fields.Many2one(
        related="retention_customer_id.retention_restore_order_id", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_last_outcome = fields.Selection(
        related="retention_customer_id.retention_last_outcome", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_last_churn_reason_id = fields.Many2one(
        related="retention_customer_id.retention_last_churn_reason_id",
        compute_sudo=False,
        depends_context=FIGURES_CONTEXT,
    )
    retention_last_outcome_date = fields.Date(
        related="retention_customer_id.retention_last_outcome_date", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_last_contact = fields.Char(
        related="retention_customer_id.retention_last_contact", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_next_call_date = fields.Date(
        related="retention_customer_id.retention_next_call_date", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_lost_for_good = fields.Boolean(
        related="retention_customer_id.retention_lost_for_good", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_call_priority = fields.Monetary(
        related="retention_customer_id.retention_call_priority", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_waiting_since = fields.Date(
        related="retention_customer_id.retention_waiting_since", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_queue_user_id = fields.Many2one(
        related="retention_customer_id.retention_queue_user_id", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_queue_rank = fields.Integer(
        related="retention_customer_id.retention_queue_rank", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_call_stop = fields.Selection(
        related="retention_customer_id.retention_call_stop", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_unanswered_calls = fields.Integer(
        related="retention_customer_id.retention_unanswered_calls", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_kept_in_queue = fields.Boolean(
        related="retention_customer_id.retention_kept_in_queue", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_low_touch_date = fields.Date(
        related="retention_customer_id.retention_low_touch_date", compute_sudo=False, depends_context=FIGURES_CONTEXT
    )
    retention_history_ids = fields.One2many(
        "retention.status.history",
        "partner_id",
        string="Status History",
        readonly=True,
    )

    @api.depends("commercial_partner_id")
    @api.depends_context("uid", "company")
    def _compute_retention_customer_id(self):
        """The current company's row of each customer (a commercial partner: its contacts have none of their
        own), searched with the reader's rights (record rules: own and unowned customers for Own Documents
        Only); none for who may not read the figures."""
        Rows = self.env["retention.customer"]
        rows = Rows.browse()
        customers = self.filtered(lambda p: p.id and p == p.commercial_partner_id)
        if customers.ids and Rows.has_access("read"):
            rows = Rows.search([("partner_id", "in", customers.ids), ("company_id", "=", self.env.company.id)])
        by_customer = {row.partner_id.id: row for row in rows}
        unread = customers.filtered(lambda p: p.id not in by_customer)
        hidden = set()
        if unread:
            hidden = set(
                Rows.sudo()
                .search([("partner_id", "in", unread.ids), ("company_id", "=", self.env.company.id)])
                .partner_id.ids
            )
        for partner in self:
            partner.retention_customer_id = by_customer.get(partner.id, Rows)
            partner.retention_figures_hidden = partner.id in hidden

    def _search_retention_customer_id(self, operator, value):
        """Partners whose customer has a (readable) row of the current company matching the condition; the
        domains on the related figures (``retention_status = 'lost'``...) come here as ``any``."""
        Rows = self.env["retention.customer"]
        if not Rows.has_access("read"):
            return [("id", "=", 0)] if operator not in ("not any", "not in", "!=") else []
        if operator in ("any", "not any"):
            domain = list(value)
        elif operator in ("=", "!=") and not value:
            domain, operator = [], ("not any" if operator == "=" else "any")
        elif operator in ("in", "not in", "=", "!="):
            ids = [value] if operator in ("=", "!=") else list(value)
            domain = [("id", "in", [i for i in ids if i])]
            operator = "any" if operator in ("in", "=") else "not any"
        else:
            raise UserError(
                _("Search Retention Figures with =, !=, in, not in or any (not %(operator)s).", operator=operator)
            )
        rows = Rows._search([("company_id", "=", self.env.company.id), *domain])
        return [("id", "in" if operator == "any" else "not in", rows.subselect("partner_id"))]

    def _search(self, domain, offset=0, limit=None, order=None):
        retention_search.check_any_operators(self, domain)
        self._retention_refuse_sql(*(order or "").split(","))
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        self._retention_refuse_sql(*groupby, *aggregates, *(order or "").split(","))
        return super()._read_group(domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order)

    # Grouping, summing or sorting contacts by a figure would need SQL through retention.customer's record rules,
    # which a related field read with the reader's rights cannot give (Odoo answers with a ValueError and a
    # traceback in the log): refused in plain words at the two doors every grouped or sorted read goes through,
    # pointing to the screens built on retention.customer. (fields_get still finds them neither sortable nor
    # groupable: its probes get Odoo's ValueError.)
    @api.model
    def _retention_refuse_sql(self, *specs):
        row_fields = self._retention_row_fields()
        for spec in specs:
            fname = spec.strip().split(" ")[0].split(":")[0].split(".")[0]
            if fname in row_fields or fname == "retention_customer_id":
                raise UserError(
                    _(
                        "Contacts cannot be grouped, summed or sorted by a retention figure (%(field)s): the "
                        "figures live per customer and company. Use Sales > Retention > Customers by Status or "
                        "Missing Orders, which group, sum and sort them.",
                        field=self._fields[fname]._description_string(self.env),
                    )
                )

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

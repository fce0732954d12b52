from markupsafe import escape

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models import retention_policy as policy
from ..models import retention_text
from ..models.res_config_settings import retention_param
from ..models.retention_call import NEXT_STEPS, OUTCOMES


class MailActivityRetentionOutcome(models.TransientModel):
    """Mark a retention call done while telling what happened: reached / no answer / wrong number and,
    when the customer was reached, why they are not ordering and what comes next. The call
    verification runs as for any other way of closing it; the outcome is then stored on the verifying
    call and the customer, and the next step is carried out."""

    _name = "mail.activity.retention.outcome"
    _description = "Retention Call Outcome"

    activity_id = fields.Many2one("mail.activity", string="Retention Call", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", compute="_compute_partner_id")
    outcome = fields.Selection(
        [o for o in OUTCOMES if o[0] != "not_recorded"],
        required=True,
        default="reached",
        help="Reached: you spoke with the customer. No answer / wrong number: say so; the "
        "call still has to be a logged call of at least the minimum length.",
    )
    churn_reason_id = fields.Many2one(
        "retention.churn.reason",
        string="Why not ordering",
        help="What the customer said: managers see it in Why Customers Leave. A complaint reason schedules a "
        "complaint analysis for the sales team leader.",
    )
    next_step = fields.Selection(
        NEXT_STEPS,
        help="Expects to order: nothing more to do. Quotation requested: a draft quotation is created for you. "
        "Call again on a date: the next retention call is due that day. Lost for good: asks a sales manager to stop "
        "the retention calls until the customer orders again (the customer stays in the call queue until they "
        "confirm; a sales manager's own choice applies at once).",
    )
    next_call_date = fields.Date(string="Call again on")
    call_ready = fields.Boolean(
        compute="_compute_call_preview",
        help="A logged call that closes this retention call exists (checked again when you mark it done).",
    )
    call_preview = fields.Char(
        string="Closing Call",
        compute="_compute_call_preview",
        help="Which logged call will close this retention call, or what is still missing - before you fill "
        "anything in.",
    )
    feedback = fields.Text(string="Notes", help="What was said; posted in the customer's chatter.")

    @api.depends("activity_id", "partner_id")
    @api.depends_context("uid", "tz", "lang")
    def _compute_call_preview(self):
        for wizard in self:
            try:
                ready, text = wizard.activity_id._retention_close_preview() if wizard.activity_id else (False, "")
            except AccessError as refusal:
                ready, text = False, str(refusal)
            customer = wizard.partner_id.sudo().display_name or ""
            if ready:
                text = _("%(call)s will close this retention call.", call=text)
            else:
                text = _(
                    "Not closable yet: %(missing)s. Call %(customer)s from a line the telephony logs, then come back.",
                    missing=text.rstrip("."),
                    customer=customer,
                )
            wizard.call_ready = ready
            wizard.call_preview = text

    @api.depends("activity_id")
    def _compute_partner_id(self):
        for wizard in self:
            activity = wizard.activity_id
            wizard.partner_id = activity.res_id if activity.res_model == "res.partner" else False

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._retention_clean_date(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._retention_clean_date(vals))

    @api.model
    def _retention_clean_date(self, vals):
        """The call-back date as a date: anything else (text, a number, a list...) is refused with the dialog's
        message instead of reaching the database (whose error would be a crash)."""
        if "next_call_date" not in vals:
            return vals
        try:
            day = fields.Date.to_date(vals["next_call_date"]) or False
        except (TypeError, ValueError) as exc:
            raise UserError(_("Pick the date to call again (after today).")) from exc
        return dict(vals, next_call_date=day)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "mail.activity" and not res.get("activity_id"):
            res["activity_id"] = self.env.context.get("active_id")
        return res

    def _check_values(self):
        self.ensure_one()
        if self.outcome == "reached":
            if not self.churn_reason_id or not self.next_step:
                raise UserError(_("You reached the customer: pick why they are not ordering and the next step."))
            if self.next_step == "call_again":
                company = self.activity_id.sudo().retention_company_id or None
                policy.check_call_again_date(self.env, self.next_call_date, company)

    def _summary(self):
        labels = dict(self._fields["outcome"]._description_selection(self.env))
        parts = [_("Outcome: %(outcome)s.", outcome=labels[self.outcome])]
        if self.outcome == "reached":
            steps = dict(self._fields["next_step"]._description_selection(self.env))
            parts.append(_("Why not ordering: %(reason)s.", reason=self.churn_reason_id.name))
            step = steps[self.next_step]
            if self.next_step == "call_again":
                step = _("call again on %(date)s", date=retention_text.date_text(self.env, self.next_call_date))
            parts.append(_("Next step: %(step)s.", step=step))
        return " ".join(parts)

    def action_done(self):
        """Verify and close the retention call with this outcome, then carry out the next step."""
        self.ensure_one()
        activity = self.activity_id
        if not activity._retention_guarded() or not activity.active:
            raise UserError(_("This is not an open retention call."))
        # exactly the rules of closing it directly (they run again in _action_done, with the call verification)
        policy.check_may_close(self.env, activity)
        activity.check_access("write")
        self._check_values()
        summary = self._summary()
        # plain text, one line per line: Odoo's message template escapes it once
        feedback = "%s\n%s" % (summary, self.feedback) if self.feedback else summary
        activity._action_done(feedback=feedback)  # the call verification runs here
        call = activity.retention_call_id
        action = self._retention_apply(activity, call)
        return action or {"type": "ir.actions.act_window_close"}

    def _retention_apply(self, activity, call):
        """Store the outcome on the call and the customer; carry out the next step. Returns an action to
        open (the new quotation) or None."""
        customer = self.partner_id.commercial_partner_id.sudo()
        company = activity.sudo().retention_company_id or self.env.company
        row = self.env["retention.customer"]._retention_rows(customer, company)
        reached = self.outcome == "reached"
        lost = reached and self.next_step == "lost_for_good"
        with policy.retention_system():
            call.sudo().write(
                {
                    "outcome": self.outcome,
                    "churn_reason_id": reached and self.churn_reason_id.id,
                    "next_step": reached and self.next_step,
                    "next_call_date": reached and self.next_step == "call_again" and self.next_call_date,
                    "outcome_user_id": self.env.user.id,
                }
            )
            row.write(
                {
                    "retention_last_outcome": self.outcome,
                    "retention_last_churn_reason_id": reached and self.churn_reason_id.id,
                    "retention_last_outcome_date": fields.Date.context_today(self),
                    "retention_next_call_date": reached and self.next_step == "call_again" and self.next_call_date,
                    # lost for good: a request a sales manager decides (below), the customer stays in the loop
                    **({} if lost else {"retention_lost_for_good": False}),
                }
            )
        self._retention_apply_stopping_rules(row)
        if lost:
            self.env["retention.lost.request"]._retention_request(
                customer,
                company,
                self.churn_reason_id,
                self.feedback,
                call,
            )
        if not reached:
            return None
        if self.churn_reason_id.is_complaint:
            self._retention_schedule_complaint(customer, activity, row)
        if self.next_step == "call_again":
            self._retention_schedule_call_back(customer, activity)
        elif self.next_step == "quotation":
            return self._retention_create_quotation(customer, activity)
        return None

    def _retention_apply_stopping_rules(self, row):
        """Unanswered calls in a row (no answer, wrong number) take the customer out of the call queue after the
        number of Settings; a reason that stops calls (one-time purchase, business closed) does at once; reaching
        the customer resets the count."""
        reached = self.outcome == "reached"
        unanswered = 0 if reached else row.retention_unanswered_calls + 1
        vals = {"retention_unanswered_calls": unanswered}
        if not reached and unanswered >= retention_param(self.env, "retention_max_unanswered", row.company_id):
            vals["retention_call_stop"] = "attempts"
        elif reached and self.churn_reason_id.stops_calls:
            vals["retention_call_stop"] = "reason"
        with policy.retention_system():
            row.sudo().write(vals)

    def _retention_schedule_call_back(self, customer, activity):
        """The next retention call, due the agreed date, for the same salesperson and company."""
        with policy.retention_system():
            self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": customer.id,
                    "activity_type_id": activity.activity_type_id.id,
                    "summary": _("Retention call: call back as agreed"),
                    "note": escape(
                        _(
                            "The customer asked to be called again on %(date)s (%(reason)s).",
                            date=retention_text.date_text(self.env, self.next_call_date),
                            reason=self.churn_reason_id.name,
                        )
                    ),
                    "date_deadline": self.next_call_date,
                    "user_id": activity.user_id.id,
                    "automated": True,
                    "retention_company_id": activity.retention_company_id.id,
                }
            )

    def _retention_schedule_complaint(self, customer, activity, row):
        """A complaint analysis to do for the leader of the customer's sales team, else the fallback user, else a
        sales manager - never the salesperson who reported it; only a sales manager removes it."""
        # the customer's own team when crm provides one, else the team of its latest order
        team = ("team_id" in customer._fields and customer.team_id) or row.retention_team_id
        company = activity.sudo().retention_company_id or self.env.company
        reviewer = policy.complaint_reviewer(self.env, team.sudo().user_id, company, self.env.user)
        note = _(
            "%(user)s reached %(customer)s on a retention call; reason given: %(reason)s. %(notes)s",
            user=self.env.user.name,
            customer=customer.display_name,
            reason=self.churn_reason_id.name,
            notes=self.feedback or "",
        )
        with policy.retention_system():
            customer.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=reviewer.id,
                retention_complaint=True,
                summary=_("Complaint analysis: %(customer)s", customer=customer.display_name),
                note=escape(note),
            )

    def _retention_create_quotation(self, customer, activity):
        """A draft quotation for the customer, opened for the salesperson to fill in."""
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "user_id": activity.user_id.id or self.env.user.id,
                "origin": _("Retention call"),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": order.id,
            "views": [(False, "form")],
            "target": "current",
            "name": order.name,
        }

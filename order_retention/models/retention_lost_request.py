from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from . import retention_policy as policy


class RetentionLostRequest(models.Model):
    """A salesperson's request to take a customer out of the retention loop for good, recorded with the outcome
    "Lost for good" of a retention call. The customer stays in the call queue until a sales manager of the
    follow-up's company confirms it; a rejection keeps them in the loop. Created and decided by server code only
    (see retention_policy): nobody writes these records directly."""

    _name = "retention.lost.request"
    _description = "Lost-for-Good Request"
    _order = "state_rank, request_date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        help="The customer the salesperson considers lost for good.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        help="The company of the retention call that recorded the request: its sales managers decide.",
    )
    requested_by_id = fields.Many2one("res.users", required=True, readonly=True, help="The salesperson who asked.")
    request_date = fields.Datetime(
        string="Requested On", required=True, readonly=True, default=fields.Datetime.now, help="When they asked."
    )
    churn_reason_id = fields.Many2one(
        "retention.churn.reason",
        string="Why Not Ordering",
        readonly=True,
        help="The reason the customer gave on the call.",
    )
    note = fields.Text(string="Notes", readonly=True, help="What the salesperson wrote about the call.")
    call_id = fields.Many2one("retention.call", readonly=True, help="The logged call that closed the retention call.")
    state = fields.Selection(
        [("pending", "To Decide"), ("confirmed", "Confirmed"), ("rejected", "Rejected"), ("ordered", "Ordered Again")],
        required=True,
        readonly=True,
        default="pending",
        index=True,
        help="To decide: the customer is still called. Confirmed: no more retention calls until they order again. "
        "Rejected: the customer stays in the loop. Ordered again: the customer came back before anyone decided, "
        "nothing left to decide.",
    )
    state_rank = fields.Integer(compute="_compute_state_rank", store=True, help="Technical: requests to decide first.")
    decided_by_id = fields.Many2one("res.users", readonly=True, help="The sales manager who confirmed or rejected it.")
    decided_date = fields.Datetime(string="Decided On", readonly=True, help="When it was confirmed or rejected.")

    @api.depends("state")
    def _compute_state_rank(self):
        for request in self:
            request.state_rank = 0 if request.state == "pending" else 1

    # ------------------------------------------------------------------
    # CRUD: server code only
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not policy.is_system(self.env):
            raise AccessError(
                _('A lost-for-good request is recorded by closing a retention call with the outcome "Lost for good".')
            )
        return super().create(vals_list)

    @api.model
    def _retention_request(self, customer, company, reason, note, call):
        """Record the caller's request for ``customer`` (server code, after the call was verified). A sales manager
        (or the system) decides at once: the request is confirmed. Returns the request."""
        with policy.retention_system():
            pending = self.sudo().search(
                [("partner_id", "=", customer.id), ("company_id", "=", company.id), ("state", "=", "pending")]
            )
            vals = {
                "partner_id": customer.id,
                "company_id": company.id,
                "requested_by_id": self.env.uid,
                "request_date": fields.Datetime.now(),
                "churn_reason_id": reason.id,
                "note": note or False,
                "call_id": call.id,
            }
            if pending:
                pending[1:].write({"state": "rejected", "decided_date": fields.Datetime.now()})
                request = pending[:1]
                request.write(vals)
            else:
                request = self.sudo().create(vals)
        if policy.may_decide_lost_for_good(self.env):
            request._retention_decide("confirmed")
        else:
            customer.sudo().message_post(
                body=_(
                    "%(user)s requested to stop the retention calls for good (%(reason)s). A sales manager "
                    "confirms or rejects it; until then the customer stays in the call queue.",
                    user=self.env.user.name,
                    reason=reason.name or "",
                ),
                author_id=self.env.user.partner_id.id,
            )
        return request

    def _retention_decide(self, state):
        """Confirm or reject (server code, the caller checked): confirming takes the customer out of the loop."""
        now = fields.Datetime.now()
        with policy.retention_system():
            self.sudo().write({"state": state, "decided_by_id": self.env.uid, "decided_date": now})
            for request in self.sudo():
                customer = request.partner_id
                names = {"requester": request.requested_by_id.name, "user": self.env.user.name}
                if state == "confirmed":
                    self.env["retention.customer"]._retention_rows(customer, request.company_id).write(
                        {"retention_lost_for_good": True}
                    )
                    body = _(
                        "Lost for good, as %(requester)s asked: confirmed by %(user)s. No more retention calls until "
                        "the customer orders again.",
                        **names,
                    )
                else:
                    body = _(
                        "Lost for good, as %(requester)s asked: rejected by %(user)s. The customer stays in the "
                        "retention loop.",
                        **names,
                    )
                customer.message_post(body=body, author_id=self.env.user.partner_id.id)

    @api.model
    def _retention_withdraw_ordered(self, customers):
        """Customers who ordered again (back to active): their pending requests have nothing left to decide."""
        if not customers:
            return
        with policy.retention_system():
            pending = self.sudo().search([("partner_id", "in", customers.ids), ("state", "=", "pending")])
            pending.write({"state": "ordered", "decided_date": fields.Datetime.now()})

    def _retention_check_decide(self):
        policy.check_decide_lost_for_good(self.env)
        self.check_access("read")  # the manager's companies (record rule)
        if self.filtered(lambda r: r.state != "pending"):
            raise UserError(_("This request was already decided."))

    def action_confirm(self):
        """Confirm that the customer is lost for good (sales managers of the request's company)."""
        self._retention_check_decide()
        self._retention_decide("confirmed")
        return True

    def action_reject(self):
        """Reject the request: the customer stays in the retention loop (sales managers of its company)."""
        self._retention_check_decide()
        self._retention_decide("rejected")
        return True

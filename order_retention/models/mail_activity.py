import contextvars

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..tools import call_verification as cv
from .res_config_settings import retention_param

# Set (only from server code, never from a request context) while the retention cycle itself closes
# activities because the customer ordered again, or a manager overrides with a reason: that
# closure needs no verified call. A ContextVar, not an env-context key, because any RPC caller can
# inject context keys.
RETENTION_SYSTEM_CLOSE = contextvars.ContextVar("order_retention_system_close", default=False)

MANAGER_GROUP = "sales_team.group_sale_manager"


class MailActivity(models.Model):
    _inherit = "mail.activity"

    retention_call_id = fields.Many2one(
        "retention.call", string="Verifying Call", readonly=True, copy=False, index="btree_not_null",
        help="The logged phone call that allowed this follow-up to be marked done.",
    )
    retention_requires_call = fields.Boolean(related="activity_type_id.retention_requires_verified_call")

    # ------------------------------------------------------------------
    # GUARDS: every path that marks an activity done or removes it
    # ------------------------------------------------------------------

    def _action_done(self, feedback=False, attachment_ids=None):
        """Funnel of action_done, action_feedback(_schedule_next), the mixin's activity_feedback and
        the schedule wizard: activities requiring a verified call get their call linked first (or
        the whole batch is refused), and the call is named in the chatter message."""
        if RETENTION_SYSTEM_CLOSE.get():
            return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        guarded = self._retention_verify()
        messages, next_activities = super(MailActivity, self - guarded)._action_done(
            feedback=feedback, attachment_ids=attachment_ids)
        for activity in guarded:
            call = activity.retention_call_id
            note = _("Closed by a verified call of %(seconds)s s on %(date)s (%(number)s).",
                     seconds=call.duration_seconds, date=fields.Datetime.to_string(call.start), number=call.phone_number)
            text = "%s<br/>%s" % (note, feedback) if feedback else note
            msg, nxt = super(MailActivity, activity)._action_done(feedback=text, attachment_ids=attachment_ids)
            messages |= msg
            next_activities |= nxt
        return messages, next_activities

    def write(self, vals):
        # list "Archive" marks an activity done without _action_done: same rule
        if vals.get("active") is False and not RETENTION_SYSTEM_CLOSE.get():
            self.filtered("active")._retention_verify()
        return super().write(vals)

    def unlink(self):
        guarded = self.filtered(lambda a: a.activity_type_id.retention_requires_verified_call)
        if guarded and not RETENTION_SYSTEM_CLOSE.get() and not self.env.su:
            if not self.env.user.has_group(MANAGER_GROUP):
                raise UserError(_(
                    "A retention call cannot be cancelled: log the call with the customer (or let the telephony "
                    "report it), then mark it done. A sales manager can close it without a call, giving a reason."))
            for activity in guarded.filtered("active"):
                self.env["res.partner"].browse(activity.res_id).exists().message_post(body=_(
                    "Retention call \"%(summary)s\" cancelled by %(user)s without a call.",
                    summary=activity.summary or activity.activity_type_id.name, user=self.env.user.name))
        return super().unlink()

    # ------------------------------------------------------------------
    # VERIFICATION
    # ------------------------------------------------------------------

    def _retention_verify(self):
        """Link a qualifying call to each activity of ``self`` that requires one (and has none yet);
        raise one UserError listing every activity that cannot be verified. Returns the guarded
        activities. Idempotent: already verified activities pass."""
        guarded = self.filtered(lambda a: a.activity_type_id.retention_requires_verified_call)
        todo = guarded.filtered(lambda a: not a.retention_call_id)
        if not todo:
            return guarded
        minimum = retention_param(self.env, "retention_min_call_seconds")
        candidates = self.env["retention.call"]._retention_candidates(todo)
        taken, problems, links = set(), [], []
        for activity in todo.sorted("create_date"):
            partner = self.env["res.partner"].sudo().browse(activity.res_id)
            # a customer shared between companies: only calls logged by a company the assignee works
            # for count (another company's PBX does not close this salesperson's follow-up)
            companies = activity.user_id.sudo().company_ids.ids
            calls = [dict(c, used=c["used"] or c["id"] in taken)
                     for c in candidates.get(partner.commercial_partner_id.id, [])
                     if not companies or c["company_id"] in companies]
            call, problem = cv.choose_call(activity.create_date, calls, minimum)
            if call:
                taken.add(call["id"])
                links.append((activity, call["record"]))
            else:
                problems.append(self._retention_problem_text(activity, partner, problem, minimum))
        if problems:
            raise UserError(_("These retention calls cannot be marked done yet:\n%(problems)s\n\n"
                              "Call the customer from a line the telephony logs (calls of at least %(minimum)s s "
                              "after the activity was created count), then mark it done. A sales manager can "
                              "close it without a call, giving a reason.",
                              problems="\n".join(problems), minimum=minimum))
        for activity, call in links:
            call.sudo().write({"activity_id": activity.id, "activity_summary": activity.summary or activity.activity_type_id.name,
                               "activity_done_date": fields.Date.context_today(self)})
            activity.sudo().retention_call_id = call
        return guarded

    def _retention_problem_text(self, activity, partner, problem, minimum):
        reason, details = problem
        since = fields.Datetime.to_string(activity.create_date)
        texts = {
            "no_call": _("no call logged with this customer"),
            "unverified_only": _("only manually logged calls, which do not count"),
            "before_activity": _("no verified call since the activity was created (%(since)s)", since=since),
            "too_short": _("the longest call since %(since)s lasted %(longest)s s, less than %(minimum)s s",
                           since=since, longest=details.get("longest"), minimum=minimum),
            "already_used": _("the qualifying calls already closed other activities"),
        }
        return "- %s: %s" % (partner.display_name, texts[reason])

    def _retention_close_system(self, feedback):
        """Mark these activities done on behalf of the system (e.g. the customer ordered again, so the
        follow-up call is moot). Bypasses call verification through RETENTION_SYSTEM_CLOSE; not RPC-callable."""
        token = RETENTION_SYSTEM_CLOSE.set(True)
        try:
            return self._action_done(feedback=feedback)
        finally:
            RETENTION_SYSTEM_CLOSE.reset(token)

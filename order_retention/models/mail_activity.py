import contextvars
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import call_verification as cv
from . import retention_policy as policy
from . import retention_text
from .res_config_settings import retention_param

# What decides which call verifies a retention call: nobody but the system and a sales manager
# changes these on an existing retention call, and nobody but the system sets them on creation.
IDENTITY_FIELDS = (
    "activity_type_id",
    "res_model",
    "res_model_id",
    "res_id",
    "retention_call_id",
    "date_done",
    "retention_company_id",
)
# Set by the system only, on any activity (on creation and afterwards).
SYSTEM_FIELDS = (
    "retention_call_id",
    "retention_company_id",
    "retention_value_at_risk",
    "retention_chosen_rank",
    "retention_chosen_waiting",
    "retention_complaint",
)
SYSTEM_ONLY_CREATE_FIELDS = (*SYSTEM_FIELDS, "date_done")
POSTPONE_DAYS = policy.POSTPONE_DAYS
# What only a sales manager changes on a complaint analysis: who does it, on what, whether it is still there.
COMPLAINT_FIELDS = ("user_id", "res_model", "res_model_id", "res_id", "activity_type_id", "active")
# Set while _action_done closes activities whose closing was allowed: their archiving or deletion by Odoo's own
# _action_done is then no removal. A ContextVar: env-context keys can be injected by any RPC caller.
_CLOSING = contextvars.ContextVar("order_retention_closing", default=())


class MailActivity(models.Model):
    _inherit = "mail.activity"

    retention_call_id = fields.Many2one(
        "retention.call",
        string="Verifying Call",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The logged phone call that allowed this follow-up to be marked done.",
    )
    retention_company_id = fields.Many2one(
        "res.company",
        string="Follow-up Company",
        readonly=True,
        copy=False,
        help="Only calls logged by this company's telephony can close this retention call. Set when the "
        "follow-up is created (the customer's company, else the assignee's) and never changed afterwards.",
    )
    retention_requires_call = fields.Boolean(related="activity_type_id.retention_requires_verified_call")
    retention_may_remove = fields.Boolean(
        string="Can Be Cancelled by You",
        compute="_compute_retention_may_remove",
        help="Whether you may cancel (remove) this activity: anyone for ordinary activities, only a sales manager "
        "for a retention call or a complaint analysis (the chatter hides Cancel from the others; the server "
        "refuses it anyway).",
    )
    retention_complaint = fields.Boolean(
        string="Complaint Analysis",
        readonly=True,
        copy=False,
        help="A complaint analysis scheduled when a customer reached on a retention call complained: it goes to "
        "someone else than the salesperson who reported it, and only a sales manager can remove or reassign it.",
    )

    @api.depends("activity_type_id", "retention_complaint")
    @api.depends_context("uid")
    def _compute_retention_may_remove(self):
        manager = policy.may_override(self.env)
        for activity in self:
            activity.retention_may_remove = manager or not (
                activity.retention_requires_call or activity.retention_complaint
            )

    # ------------------------------------------------------------------
    # CRUD GUARDS: every path that creates, changes, closes or removes a retention call
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        system = policy.is_system(self.env)
        if not system:
            for vals in vals_list:
                forged = [f for f in SYSTEM_ONLY_CREATE_FIELDS if vals.get(f)]
                if forged:
                    raise AccessError(
                        _("%(fields)s of an activity are set by the system, not on creation.", fields=", ".join(forged))
                    )
        activities = super().create(vals_list)
        guarded = activities._retention_guarded()
        if guarded and not system:
            policy.check_may_create_retention_call(self.env)
            if guarded.filtered(lambda a: not a.active):
                raise AccessError(
                    _(
                        "A retention call cannot be created already done: create it, call the "
                        "customer, then mark it done."
                    )
                )
        guarded._retention_set_company()
        if guarded:
            self._retention_refresh_values(guarded.ids)
        return activities

    def write(self, vals):
        if not policy.is_system(self.env):
            self._retention_check_write(vals)
            self._retention_check_complaint_write(vals)
        if "active" in vals:
            if not vals["active"]:
                # list "Archive" and toggle_active mark an activity done without _action_done: same rule
                if not policy.RETENTION_SYSTEM.get():
                    self.filtered("active")._retention_verify()
            else:
                reopened = self._retention_guarded().filtered(lambda a: not a.active and a.retention_call_id)
                if reopened:
                    # a reopened follow-up needs a new call: the old one stays consumed forever
                    with policy.retention_system():
                        reopened.write({"retention_call_id": False})
        return super().write(vals)

    def unlink(self):
        # an active activity verified in this transaction is being closed by _action_done (types
        # that do not keep done activities delete them): that is not a removal
        guarded = self._retention_guarded().filtered(lambda a: not (a.active and a.retention_call_id))
        if not policy.RETENTION_SYSTEM.get():
            closing = set(_CLOSING.get())
            policy.check_may_remove_complaint(
                self.env, self.sudo().filtered(lambda a: a.retention_complaint and a.id not in closing)
            )
        if guarded and not policy.RETENTION_SYSTEM.get():
            policy.check_retention_company(self.env, guarded)
            if not policy.may_override(self.env):
                raise UserError(
                    _(
                        "A retention call cannot be cancelled or deleted: call the customer from a line the telephony "
                        "logs, then mark it done. A sales manager can close it without a call, giving a reason."
                    )
                )
            if not self.env.su:
                for activity in guarded.filtered("active"):
                    activity._retention_partner().message_post(
                        body=_(
                            'Retention call "%(summary)s" cancelled by %(user)s without a call.',
                            summary=activity.summary or activity.activity_type_id.name,
                            user=self.env.user.name,
                        )
                    )
        return super().unlink()

    @api.model
    def _default_activity_type_for_model(self, model):
        """Never propose a verified-call type (a retention call) as the default of a schedule dialog: only the
        system creates those."""
        activity_type = super()._default_activity_type_for_model(model)
        if activity_type.sudo().retention_requires_verified_call:
            activity_type = self.env["mail.activity.type"].search(
                [
                    ("retention_requires_verified_call", "=", False),
                    "|",
                    ("res_model", "=", model),
                    ("res_model", "=", False),
                ],
                limit=1,
            )
        return activity_type

    def _retention_postpone_limit(self):
        """The latest due date a salesperson may give this retention call: its due date, or 7 days after
        the day it was created, that day counted in the most advanced timezone (UTC+14) but never more than
        one day after the creation day in the assignee's timezone. Due dates are set in the user's timezone,
        Odoo's snooze counts from the server's date and the cycle's from its own: counted so, a call created
        late in the evening anywhere still gets its full 7 days, and never more than one extra (UTC+14 alone
        gave a salesperson in UTC-11 two extra days for a call created between 10:00 and 11:00 UTC)."""
        self.ensure_one()
        most_advanced = (self.create_date + timedelta(hours=14)).date()
        user = (self.user_id or self.env.user).sudo()
        in_user_tz = fields.Datetime.context_timestamp(self.with_context(tz=user.tz or "UTC"), self.create_date)
        created = min(most_advanced, in_user_tz.date() + timedelta(days=1))
        return max(self.date_deadline, created + timedelta(days=POSTPONE_DAYS))

    def _retention_check_write(self, vals):
        """Refuse, for anyone but a sales manager, any write that would change which call verifies a
        retention call (retype, move, re-link), turn an activity into one, or reopen a done one; and, for
        anyone but the system, a due date past the postponing limit (salespeople) or ten years (managers), or
        an assignee who cannot work the call (see retention_policy)."""
        guarded = self._retention_guarded()
        policy.check_retention_company(self.env, guarded)
        if "date_deadline" in vals and guarded:
            try:
                new = fields.Date.to_date(vals["date_deadline"])
            except (TypeError, ValueError) as exc:
                raise UserError(_("A retention call needs a valid due date.")) from exc
            if not new:
                raise UserError(_("A retention call needs a due date."))
            policy.check_due_date(self.env, guarded, new, lambda a: a._retention_postpone_limit())
        if "user_id" in vals and guarded:
            policy.check_assignee(self.env, guarded, vals["user_id"])
        if policy.is_manager(self.env):
            return
        touched = [f for f in IDENTITY_FIELDS if f in vals]
        if guarded and touched:
            raise AccessError(
                _(
                    "The %(fields)s of a retention call cannot be changed: only a sales manager can retype, move or "
                    "re-link it. You can reassign it to a colleague or change its due date.",
                    fields=", ".join(touched),
                )
            )
        if set(SYSTEM_FIELDS) & set(vals):
            raise AccessError(
                _("The verifying call, the follow-up company and the value at risk are set by the system.")
            )
        if vals.get("activity_type_id"):
            new_type = self.env["mail.activity.type"].browse(vals["activity_type_id"]).sudo()
            if new_type.retention_requires_verified_call and (self - guarded):
                raise AccessError(_("An activity cannot be turned into a retention call: schedule a new one."))
        if "active" in vals and vals["active"] and guarded.filtered(lambda a: not a.active):
            raise AccessError(
                _(
                    "A done retention call cannot be reopened except by a sales manager: "
                    "schedule a new activity instead."
                )
            )

    def _retention_check_complaint_write(self, vals):
        """A complaint analysis: its assignee may update it (due date, notes); only a sales manager reassigns,
        moves or archives it. Odoo's own archiving of one being closed (see _action_done) passes."""
        complaints = self.sudo().filtered("retention_complaint")
        if not complaints or policy.may_override(self.env):
            return
        closing = set(_CLOSING.get())
        if set(vals) <= {"active"} and not vals.get("active") and set(complaints.ids) <= closing:
            return
        if any(f in vals for f in COMPLAINT_FIELDS):
            policy.check_may_remove_complaint(self.env, complaints)
        policy.check_may_close_complaint(self.env, complaints)

    def _compute_state(self):
        """Odoo's state, also for a form whose due date was cleared (Odoo's leaves it unassigned: a crash)."""
        for activity in self.filtered(lambda a: not a.date_deadline):
            activity.state = "done" if not activity.active else False
        return super(MailActivity, self.filtered("date_deadline"))._compute_state()

    def action_snooze(self):
        """Odoo's snooze (7 days later), refused clearly for an activity due too far ahead to add a week (9999-12-31
        made Odoo crash); retention calls then follow the postponing rules of write()."""
        for activity in self.filtered("active"):
            try:
                max(activity.date_deadline or fields.Date.today(), fields.Date.today()) + timedelta(days=7)
            except OverflowError as exc:
                raise UserError(
                    _(
                        "%(activity)s is due on %(date)s: it cannot be snoozed any further. Give it a sensible due "
                        "date instead.",
                        activity=activity.summary or activity.activity_type_id.name or _("This activity"),
                        date=retention_text.date_text(self.env, activity.date_deadline),
                    )
                ) from exc
        return super().action_snooze()

    # ------------------------------------------------------------------
    # DONE
    # ------------------------------------------------------------------

    def action_retention_mark_done(self):
        """Mark done from a list or the queue: retention calls open the outcome dialog first (the call
        verification runs when it is confirmed); other activities are simply marked done."""
        self.ensure_one()
        if not self._retention_guarded():
            return self.action_done()
        return {
            "type": "ir.actions.act_window",
            "name": _("Retention call outcome"),
            "res_model": "mail.activity.retention.outcome",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_activity_id": self.id},
        }

    def _action_done(self, feedback=False, attachment_ids=None):
        """Funnel of action_done, action_feedback(_schedule_next), the mixin's activity_feedback and
        the schedule wizard: activities requiring a verified call get their call linked first (or
        the whole batch is refused), and the call is named in the chatter message."""
        if policy.RETENTION_SYSTEM.get():
            return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        policy.check_may_close_complaint(self.env, self.sudo().filtered("retention_complaint"))
        guarded = self._retention_verify()
        token = _CLOSING.set((*_CLOSING.get(), *self.ids))
        try:
            return self._retention_action_done(guarded, feedback, attachment_ids)
        finally:
            _CLOSING.reset(token)

    def _retention_action_done(self, guarded, feedback, attachment_ids):
        """Close the verified retention calls ``guarded`` (their verifying call named in the chatter) and the other
        activities of ``self``. The message is plain text: Odoo escapes it once, one line per line."""
        messages, next_activities = super(MailActivity, self - guarded)._action_done(
            feedback=feedback, attachment_ids=attachment_ids
        )
        for activity in guarded:
            call = activity.retention_call_id
            note = _(
                "Closed by a verified call of %(seconds)s s on %(date)s (%(number)s).",
                seconds=call.duration_seconds,
                date=retention_text.datetime_text(self.env, call.start),
                number=call.phone_number,
            )
            text = "%s\n%s" % (note, feedback) if feedback else note
            msg, nxt = super(MailActivity, activity)._action_done(feedback=text, attachment_ids=attachment_ids)
            messages |= msg
            next_activities |= nxt
        return messages, next_activities

    # ------------------------------------------------------------------
    # VERIFICATION
    # ------------------------------------------------------------------

    def _retention_guarded(self):
        """The activities of ``self`` that require a verified call (type read as superuser)."""
        return self.filtered(lambda a: a.activity_type_id.sudo().retention_requires_verified_call)

    def _retention_partner(self):
        self.ensure_one()
        if self.res_model != "res.partner":
            return self.env["res.partner"]
        return self.env["res.partner"].sudo().browse(self.res_id).exists()

    def _retention_set_company(self):
        """Decide once, at creation, whose calls can verify each retention call: the customer's
        company, else the assignee's main company, else the current company."""
        for activity in self.filtered(lambda a: not a.retention_company_id):
            record = self.env[activity.res_model].sudo().browse(activity.res_id) if activity.res_model else None
            company = record and "company_id" in record._fields and record.exists() and record.company_id
            company = company or activity.user_id.sudo().company_id or self.env.company
            with policy.retention_system():
                activity.sudo().write({"retention_company_id": company.id})

    def _retention_min_call_seconds(self):
        """The shortest call that closes this retention call: the Settings of its company (the one whose telephony
        logs the calls that close it), else of the current company."""
        self.ensure_one()
        return retention_param(self.env, "retention_min_call_seconds", self.sudo().retention_company_id or None)

    def _retention_verify(self):
        """Link a qualifying call to each activity of ``self`` that requires one (and has none yet);
        raise one UserError listing every activity that cannot be verified. Returns the guarded
        activities. Idempotent: already verified activities pass."""
        guarded = self._retention_guarded()
        if not policy.RETENTION_SYSTEM.get():
            policy.check_may_close(self.env, guarded)
        todo = guarded.filtered(lambda a: not a.retention_call_id)
        if not todo:
            return guarded
        candidates = self.env["retention.call"]._retention_candidates(todo)
        taken, problems, links = set(), [], []
        for activity in todo.sorted("create_date"):
            minimum = activity._retention_min_call_seconds()
            partner = self.env["res.partner"].sudo().browse(activity.res_id)
            call, problem = self._retention_pick_call(activity, partner, candidates, taken, minimum)
            if call:
                taken.add(call["id"])
                links.append((activity, call["record"]))
            else:
                problems.append(self._retention_problem_text(activity, partner, problem, minimum))
        if problems:
            raise UserError(
                _(
                    "These retention calls cannot be marked done yet:\n%(problems)s\n\n"
                    "Call the customer from a line the telephony logs (calls of at least %(minimum)s s "
                    "after the activity was created count), then mark it done. A sales manager can "
                    "close it without a call, giving a reason.",
                    problems="\n".join(problems),
                    minimum=minimum,
                )
            )
        with policy.retention_system():
            for activity, call in links:
                call._retention_consume(activity)
                activity.sudo().write({"retention_call_id": call.id})
        return guarded

    def _retention_pick_call(self, activity, partner, candidates, taken, minimum):
        """The call that would verify ``activity`` (a candidate dict) and None, or None and the problem."""
        # only calls logged by the follow-up's company count (decided when it was created; rows of
        # older versions fall back to the assignee's companies)
        companies = activity.retention_company_id.ids or activity.user_id.sudo().company_ids.ids
        company_calls = [
            c for c in candidates.get(partner.commercial_partner_id.id, []) if c["company_id"] in companies
        ]
        # the caller's own calls only: a call a colleague made verifies nothing for anyone else
        calls = [
            dict(c, used=c["used"] or c["id"] in taken)
            for c in company_calls
            if policy.call_counts_for(self.env, c["agent_id"], c.get("agent_unknown"))
        ]
        call, problem = cv.choose_call(activity.create_date, calls, minimum)
        if not call and len(calls) < len(company_calls) and problem[0] in ("no_call", "unverified_only"):
            problem = ("colleagues_calls", {})
        return call, problem

    def _retention_close_preview(self):
        """What closing this retention call would find, before anything is filled in: (True, "Call of 60 s today
        at 14:30 with +1 650-253-0104") when a logged call will close it, else (False, what is missing). Read
        only: nothing is linked or consumed."""
        self.ensure_one()
        activity = self
        if not activity.retention_requires_call or not activity.active:
            return True, ""
        if activity.retention_call_id:
            call = activity.retention_call_id
            return True, self._retention_call_words(call.duration_seconds, call.start, call.phone_number)
        try:
            policy.check_may_close(self.env, activity)
        except (AccessError, UserError) as refusal:
            return False, str(refusal)
        minimum = activity._retention_min_call_seconds()
        candidates = self.env["retention.call"]._retention_candidates(activity)
        partner = self.env["res.partner"].sudo().browse(activity.res_id)
        call, problem = self._retention_pick_call(activity, partner, candidates, set(), minimum)
        if call:
            record = call["record"].sudo()
            return True, self._retention_call_words(record.duration_seconds, record.start, record.phone_number)
        text = self._retention_problem_text(activity, partner, problem, minimum)
        return False, text.split(": ", 1)[1] if ": " in text else text

    def _retention_call_words(self, seconds, start, number):
        """'Call of 60 s today at 14:30 with +1 650-253-0104' in the reader's language, timezone and format."""
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"
        local = fields.Datetime.context_timestamp(self.with_context(tz=tz), start)
        today = fields.Date.context_today(self.with_context(tz=tz))
        if local.date() == today:
            return _(
                "Call of %(seconds)s s today at %(time)s with %(number)s",
                seconds=seconds,
                time=local.strftime("%H:%M"),
                number=number,
            )
        return _(
            "Call of %(seconds)s s on %(moment)s with %(number)s",
            seconds=seconds,
            moment=retention_text.datetime_text(self.env, start, tz=tz),
            number=number,
        )

    def _retention_problem_text(self, activity, partner, problem, minimum):
        reason, details = problem
        since = retention_text.datetime_text(self.env, activity.create_date)
        texts = {
            "no_call": _("no call logged with this customer"),
            "unverified_only": _(
                "only manually logged calls or calls matched after a number change, which do not count"
            ),
            "before_activity": _("no verified call since the activity was created (%(since)s)", since=since),
            "too_short": _(
                "the longest call since %(since)s lasted %(longest)s s, less than %(minimum)s s",
                since=since,
                longest=details.get("longest"),
                minimum=minimum,
            ),
            "already_used": _("the qualifying calls already closed other activities"),
            "unanswered_only": _(
                "the calls since %(since)s were not answered (no answer, busy or cancelled): an attempt is no "
                "conversation",
                since=since,
            ),
            "colleagues_calls": _(
                "only calls a colleague made: a call verifies a retention call only for the one who made it "
                "(or a sales manager)"
            ),
            "number_changed": _(
                "the calls since %(since)s went to a number added to the customer after the retention "
                "call was created (a sales manager can confirm such a call)",
                since=since,
            ),
        }
        return "- %s: %s" % (partner.display_name, texts[reason])

    def _retention_close_system(self, feedback):
        """Mark these activities done on behalf of the system (e.g. the customer ordered again, so the
        follow-up call is moot). Bypasses call verification; not RPC-callable (private)."""
        with policy.retention_system():
            return self._action_done(feedback=feedback)

"""Who may do what with retention data: the one place the module's privilege rules live.

* The **system** is server code of this module that closes or changes retention calls on its own
  authority (the daily cycle, a win-back, the manager override once it checked the manager, the
  telephony intake once it checked the token). It marks itself with ``RETENTION_SYSTEM``, a
  ``ContextVar`` — never an env-context key, because any RPC caller can inject context keys.
  Code already running as superuser (``env.su``: ``sudo()`` chosen by server code, crons) counts
  as the system too: no RPC caller can obtain it.
* A **sales manager** (``sales_team.group_sale_manager``) may close, retype, move, reopen or remove a
  retention call and archive, delete or merge a customer that has one; such removals are logged.
* Everybody else (salespeople, portal, public) needs a verified call to close a retention call and
  may change nothing that decides which call verifies it.
"""

import contextvars
from contextlib import contextmanager

from odoo.exceptions import AccessError

from .retention_text import count_phrase, date_text

RETENTION_SYSTEM = contextvars.ContextVar("order_retention_system", default=False)
MANAGER_GROUP = "sales_team.group_sale_manager"
ALL_DOCUMENTS_GROUP = "sales_team.group_sale_salesman_all_leads"
# who may open Settings (Odoo grants res.config.settings to this group only), and so read its values
SETTINGS_GROUP = "base.group_system"
# who may see anything of the telephony's token (its last characters, its date): field ``groups``
PBX_TOKEN_GROUPS = "%s,%s" % (MANAGER_GROUP, SETTINGS_GROUP)


@contextmanager
def retention_system():
    """Run the enclosed server code as the retention system (not reachable over RPC)."""
    token = RETENTION_SYSTEM.set(True)
    try:
        yield
    finally:
        RETENTION_SYSTEM.reset(token)


def is_system(env):
    """True for the module's own server code and superuser code."""
    return bool(RETENTION_SYSTEM.get()) or env.su


def is_manager(env):
    """True for a sales manager (the current user, whatever ``sudo`` says)."""
    return env.user.has_group(MANAGER_GROUP)


def may_override(env):
    """May close, retype, move, reopen or remove retention calls without a call."""
    return is_system(env) or is_manager(env)


def check_manager(env, message=None):
    """Raise AccessError unless the caller is the system or a sales manager (RPC callers never run
    as superuser, so for them this means: a sales manager)."""
    if not may_override(env):
        raise AccessError(message or env._("Only a sales manager can do this."))


def check_internal(env, message=None):
    """Raise AccessError for portal and public users (share users)."""
    if env.user.share and not is_system(env):
        raise AccessError(message or env._("This action is reserved to internal users."))


def check_settings_reader(env):
    """The values of Settings are read by who may open Settings (administrators) and the system: anybody else
    calling ``res.config.settings.get_values`` / ``default_get`` over RPC gets AccessError."""
    if not is_system(env) and not env.user.has_group(SETTINGS_GROUP):
        raise AccessError(env._("Only administrators can read the settings."))


def may_see_pbx_token(env):
    """The PBX token's hint and date are for sales managers, administrators and the system."""
    return is_system(env) or is_manager(env) or env.user.has_group(SETTINGS_GROUP)


# ----------------------------------------------------------------------
# Who creates, dates and assigns retention calls
# ----------------------------------------------------------------------
# The farthest any due date of a retention call may go, for anyone (a date past it breaks snoozing and
# pushes a customer out of the loop for good).
MAX_DUE_DAYS = 3650
# A salesperson may postpone a retention call (due date, snooze) up to this many days after it was created.
POSTPONE_DAYS = 7


def check_may_create_retention_call(env):
    """Only the system schedules retention calls (the nightly queue, a call-back agreed in the outcome dialog,
    a cancelled win-back): anyone else would put a customer out of the loop with a call nobody makes."""
    if not is_system(env):
        raise AccessError(
            env._(
                "Retention calls are scheduled by the retention cycle, within each salesperson's capacity: they cannot "
                "be created by hand. To call a customer again on a date, record it in the outcome of their retention "
                "call; a sales manager can put a customer back in the call queue."
            )
        )


def check_due_date(env, activities, new_date, limit_for):
    """A salesperson may move a retention call up to ``limit_for(activity)``; a sales manager up to MAX_DUE_DAYS
    from today; nobody further."""
    from odoo import fields  # noqa: PLC0415 - the policy module stays import-light

    today = fields.Date.context_today(env.user)
    if (new_date - today).days > MAX_DUE_DAYS:
        raise AccessError(
            env._("A retention call cannot be due more than %(years)s years ahead.", years=MAX_DUE_DAYS // 365)
        )
    if is_manager(env):
        return
    for activity in activities:
        limit = limit_for(activity)
        if new_date > limit:
            raise AccessError(
                env._(
                    "A retention call can be postponed up to %(duration)s after it was created (here until "
                    "%(limit)s); a sales manager can postpone it further. Record the customer's wish with the "
                    'outcome "Call again on a date" when you mark it done.',
                    duration=count_phrase(env, POSTPONE_DAYS, "day"),
                    limit=date_text(env, limit),
                )
            )


def check_call_again_date(env, new_date, company=None):
    """The outcome dialog's call-back date: after today, at most ``retention_call_again_max_days`` (of ``company``'s
    Settings: the retention call's; default the current company's) ahead for a salesperson, MAX_DUE_DAYS for a sales
    manager."""
    from odoo import fields  # noqa: PLC0415
    from odoo.exceptions import UserError  # noqa: PLC0415

    from .res_config_settings import retention_param  # noqa: PLC0415

    today = fields.Date.context_today(env.user)
    limit = MAX_DUE_DAYS if is_manager(env) else retention_param(env, "retention_call_again_max_days", company)
    if not new_date or new_date <= today:
        raise UserError(env._("Pick the date to call again (after today)."))
    if (new_date - today).days > limit:
        if is_manager(env):
            raise UserError(env._("A call back cannot be more than %(years)s years ahead.", years=MAX_DUE_DAYS // 365))
        raise UserError(
            env._(
                "You can agree to call back at most %(duration)s ahead (until %(limit)s); ask a sales manager for a "
                "later date.",
                duration=count_phrase(env, limit, "day"),
                limit=date_text(env, fields.Date.add(today, days=limit)),
            )
        )


def check_assignee(env, activities, user_id):
    """A retention call can go only to someone who can work it: an active internal user with sales rights, in
    the follow-up's company, with free retention-call capacity."""
    if is_system(env):
        return
    user = env["res.users"].sudo().browse(user_id).exists() if user_id else env["res.users"]
    name = user.name if user else env._("nobody")
    if not user or not user.active or user.share or not user.has_group("sales_team.group_sale_salesman"):
        raise AccessError(
            env._(
                "A retention call can only be assigned to an active internal user with sales rights, not to %(user)s.",
                user=name,
            )
        )
    for activity in activities:
        company = activity.sudo().retention_company_id
        if company and company not in user.company_ids:
            raise AccessError(
                env._(
                    "%(user)s does not work for %(company)s, whose calls close this retention call.",
                    user=name,
                    company=company.name,
                )
            )
    moving = activities.filtered(lambda a: a.user_id.id != user.id)
    if moving:
        free = env["retention.queue"].sudo()._retention_free_slots([user.id]).get(user.id, 0)
        if free < len(moving):
            raise AccessError(
                env._(
                    "%(user)s has no free retention-call capacity (%(free)s free, %(moving)s to assign): a sales "
                    "manager can raise the capacity in the sales team.",
                    user=name,
                    free=max(free, 0),
                    moving=len(moving),
                )
            )


def check_company_move(env, partners, company_id):
    """Moving customers to another company (``company_id``; False: shared by every company): only into a
    company the caller works for, and a customer with an open retention call only by a sales manager (the
    call and the calls that verify it belong to the customer's company: moved by a salesperson, the customer
    would leave the loop and the sight of its own team, with no way back). Returns the customers with an open
    retention call that a sales manager moves (their move is logged)."""
    from odoo.exceptions import UserError  # noqa: PLC0415

    if is_system(env):
        return partners.browse()
    if company_id and (isinstance(company_id, bool) or not isinstance(company_id, int)):
        raise UserError(env._("Give the company as the id of a company (or False for a contact shared by all)."))
    company = env["res.company"].sudo().browse(company_id).exists() if company_id else env["res.company"]
    if company_id and (not company or company not in env.user.company_ids):
        raise AccessError(
            env._(
                "You do not work for %(company)s: you cannot move a contact there.",
                company=company.name if company else str(company_id)[:20],
            )
        )
    moving = partners.sudo().filtered(lambda p: p.company_id != company)
    followups = moving._retention_open_followups().filtered(lambda a: a.res_id in moving.ids)
    in_loop = moving.browse(set(followups.mapped("res_id")))
    if in_loop and not is_manager(env):
        names = ", ".join(in_loop.mapped("display_name"))
        raise UserError(
            env._(
                "%(customers)s has an open retention call: only a sales manager can move this customer to another "
                "company. Call the customer and mark the retention call done first, or ask a sales manager.",
                customers=names,
            )
        )
    return in_loop


# ----------------------------------------------------------------------
# Cancellations, cancellation reasons and quotation claims
# ----------------------------------------------------------------------
# Reasons only the system gives: the portal's decline and the duplicate quotations clean-up's "already bought".
SYSTEM_CANCEL_REASON_XMLIDS = (
    "order_retention.cancel_reason_already_purchased",
    "order_retention.cancel_reason_declined_by_customer",
)
# True while an order goes through its cancel action (the only way its state becomes "cancel").
ORDER_CANCELLING = contextvars.ContextVar("order_retention_order_cancelling", default=False)


@contextmanager
def order_cancelling():
    """Run the enclosed cancel action: the orders' state may become "cancel" (not reachable over RPC)."""
    token = ORDER_CANCELLING.set(True)
    try:
        yield
    finally:
        ORDER_CANCELLING.reset(token)


def system_cancel_reasons(env):
    """The cancellation reasons only the system gives (never offered to people)."""
    reasons = env["retention.cancel.reason"].sudo()
    for xmlid in SYSTEM_CANCEL_REASON_XMLIDS:
        reasons |= env.ref(xmlid, raise_if_not_found=False) or reasons
    return reasons.with_env(env)


def check_cancel_reason(env, reason_ref):
    """The cancellation reason ``reason_ref`` (a record, an id or anything an RPC caller sent) exists and may be
    given by the caller: the system-only reasons are for the system. Returns the reason record."""
    from odoo.exceptions import UserError  # noqa: PLC0415

    Reason = env["retention.cancel.reason"]
    reason_id = reason_ref.id if getattr(reason_ref, "_name", None) == Reason._name else reason_ref
    reason = Reason
    if isinstance(reason_id, int) and not isinstance(reason_id, bool) and reason_id > 0:
        reason = Reason.sudo().with_context(active_test=False).browse(reason_id).exists()
    if not reason or (not reason.active and not is_system(env)):
        raise UserError(env._("This cancellation reason does not exist (any more): choose one from the list."))
    if reason in system_cancel_reasons(env) and not is_system(env):
        raise AccessError(
            env._(
                'The cancellation reason "%(reason)s" is set by the system only (the customer portal, the duplicate '
                "quotations clean-up): choose another reason.",
                reason=reason.name,
            )
        )
    return reason.with_env(env)


def check_cancel_reason_given(env, orders):
    """When Settings require a cancellation reason, nobody but the system cancels an order without one."""
    from odoo.exceptions import UserError  # noqa: PLC0415

    from .retention_cancel_reason import retention_cancel_reason_required  # noqa: PLC0415

    if is_system(env) or not retention_cancel_reason_required(env):
        return
    missing = orders.filtered(lambda o: o.state != "cancel" and not o.retention_cancel_reason_id)
    if missing:
        raise UserError(
            env._(
                "Choose a cancellation reason before cancelling %(orders)s: use the Cancel button of the order "
                "(add a reason under Sales > Configuration > Cancellation Reasons if none fits).",
                orders=", ".join(missing.mapped("name")),
            )
        )


def check_cancel_state_write(env, vals):
    """An order becomes cancelled only through its cancel action (which asks the reason), never by writing its
    state."""
    if vals.get("state") == "cancel" and not ORDER_CANCELLING.get() and not is_system(env):
        raise AccessError(env._("Cancel an order with its Cancel button (or action), not by writing its status."))


def check_may_correct_cancel_reason(env, orders, vals):
    """Only a sales manager (or the system) corrects the reason or note of a cancellation, and only of a cancelled
    order; the new reason must be one they may give, and a required reason cannot be removed."""
    from odoo.exceptions import UserError  # noqa: PLC0415

    from .retention_cancel_reason import retention_cancel_reason_required  # noqa: PLC0415

    if is_system(env):
        return
    check_manager(
        env,
        env._(
            "Only a sales manager can correct the reason or note of a cancellation (the correction is logged on "
            "the order)."
        ),
    )
    not_cancelled = orders.filtered(lambda o: o.state != "cancel")
    if not_cancelled:
        raise UserError(
            env._(
                "%(orders)s is not cancelled: only the reason of a cancelled order can be corrected.",
                orders=", ".join(not_cancelled.mapped("name")),
            )
        )
    if "retention_cancel_reason_id" in vals:
        if vals["retention_cancel_reason_id"]:
            check_cancel_reason(env, vals["retention_cancel_reason_id"])
        elif retention_cancel_reason_required(env):
            raise UserError(env._("A cancellation reason is required: choose the right one instead of removing it."))


def may_pass_claim(env, order):
    """A claim on a quotation ("I'm handling it") passes only by the claimer or a sales manager: their release,
    or their cancelling or confirming the order. Anyone else's cancellation or confirmation leaves it."""
    return order.retention_handled_by_id == env.user or is_manager(env)


# ----------------------------------------------------------------------
# Who closes a retention call, and with which call (direct closing and the outcome dialog alike)
# ----------------------------------------------------------------------


def check_retention_company(env, activities):
    """A retention call belongs to its follow-up's company: only users of that company (the system aside) list,
    change, close or remove it."""
    if is_system(env):
        return
    companies = env.user.sudo().company_ids
    for activity in activities.sudo():
        company = activity.retention_company_id
        if company and company not in companies:
            raise AccessError(
                env._(
                    "This retention call belongs to %(company)s, which you do not work for.",
                    company=company.name,
                )
            )


def check_may_close(env, activities):
    """Who may close a retention call (mark it done, give its outcome): the system; a user of the follow-up's
    company who is a sales manager or an All Documents salesperson; or, with Own Documents Only, the call's
    assignee or the customer's salesperson. The call that verifies it must then be one of the caller's own (see
    call_counts_for)."""
    check_retention_company(env, activities)
    if is_system(env) or is_manager(env) or env.user.has_group(ALL_DOCUMENTS_GROUP):
        return
    user = env.user
    for activity in activities.sudo():
        owner = activity.retention_partner_id.commercial_partner_id.user_id
        if user not in (activity.user_id, owner):
            raise AccessError(
                env._(
                    "This retention call is %(assignee)s's: only they, the customer's salesperson or a sales manager "
                    "can close it.",
                    assignee=activity.user_id.name or env._("nobody"),
                )
            )


def call_counts_for(env, agent_id, agent_unknown=False):
    """A logged call verifies a retention call for the caller only if it is one of the caller's own calls: one the
    telephony attributes to the caller, or to no one (a line without a user). A call a colleague made, or one the
    telephony attributes to an agent no Odoo user matches (``agent_unknown``), verifies nothing for anyone else but
    the system and sales managers."""
    if is_system(env) or is_manager(env):
        return True
    return agent_id == env.uid if agent_id else not agent_unknown


# ----------------------------------------------------------------------
# Lost for good: a salesperson's request, a sales manager's decision
# ----------------------------------------------------------------------


def may_decide_lost_for_good(env):
    """A customer leaves the loop for good only on a sales manager's word (or the system's)."""
    return may_override(env)


def check_decide_lost_for_good(env):
    check_manager(env, env._("Only a sales manager can confirm or reject that a customer is lost for good."))


# ----------------------------------------------------------------------
# The complaint analysis
# ----------------------------------------------------------------------


def complaint_reviewer(env, leader, company, reporter):
    """Who analyses a complaint reported by ``reporter``: the sales team's leader, else the fallback user of the
    Settings, else a sales manager of ``company`` - never the reporter (who would review their own call)."""
    Users = env["res.users"].sudo()
    fallback_id = env["ir.config_parameter"].sudo().get_param("order_retention.fallback_user_id")
    fallback = Users.browse(int(fallback_id)).exists() if (fallback_id or "").isdigit() else Users
    for user in (leader, fallback):
        if user and user != reporter and user.active and not user.share:
            return user
    managers = Users.search(
        [("groups_id", "in", env.ref(MANAGER_GROUP).id), ("share", "=", False), ("id", "!=", reporter.id)],
        order="id",
    )
    in_company = managers.filtered(lambda u: company in u.company_ids)
    return (in_company or managers)[:1] or env.ref("base.user_admin").sudo()


def check_may_remove_complaint(env, activities):
    """Only a sales manager (or the system) removes a complaint analysis, reassigns it or moves it."""
    if activities and not may_override(env):
        raise AccessError(env._("Only a sales manager can remove, reassign or move a complaint analysis."))


def check_may_close_complaint(env, activities):
    """A complaint analysis is closed by the one it was given to, or by a sales manager."""
    if may_override(env):
        return
    for activity in activities:
        if activity.sudo().user_id != env.user:
            raise AccessError(
                env._(
                    "This complaint analysis is %(user)s's to do: only they or a sales manager can close it.",
                    user=activity.sudo().user_id.name,
                )
            )

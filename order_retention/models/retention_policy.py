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

from odoo import _
from odoo.exceptions import AccessError

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
        raise AccessError(message or _("Only a sales manager can do this."))


def check_internal(env, message=None):
    """Raise AccessError for portal and public users (share users)."""
    if env.user.share and not is_system(env):
        raise AccessError(message or _("This action is reserved to internal users."))


def check_settings_reader(env):
    """The values of Settings are read by who may open Settings (administrators) and the system: anybody else
    calling ``res.config.settings.get_values`` / ``default_get`` over RPC gets AccessError."""
    if not is_system(env) and not env.user.has_group(SETTINGS_GROUP):
        raise AccessError(_("Only administrators can read the settings."))


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
            _(
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
            _("A retention call cannot be due more than %(years)s years ahead.", years=MAX_DUE_DAYS // 365)
        )
    if is_manager(env):
        return
    for activity in activities:
        limit = limit_for(activity)
        if new_date > limit:
            raise AccessError(
                _(
                    "A retention call can be postponed up to %(days)s days after it was created (here until "
                    "%(limit)s); a sales manager can postpone it further. Record the customer's wish with the "
                    'outcome "Call again on a date" when you mark it done.',
                    days=POSTPONE_DAYS,
                    limit=fields.Date.to_string(limit),
                )
            )


def check_call_again_date(env, new_date):
    """The outcome dialog's call-back date: after today, at most ``retention_call_again_max_days`` ahead for a
    salesperson, MAX_DUE_DAYS for a sales manager."""
    from odoo import fields  # noqa: PLC0415
    from odoo.exceptions import UserError  # noqa: PLC0415

    from .res_config_settings import retention_param  # noqa: PLC0415

    today = fields.Date.context_today(env.user)
    limit = MAX_DUE_DAYS if is_manager(env) else retention_param(env, "retention_call_again_max_days")
    if not new_date or new_date <= today:
        raise UserError(_("Pick the date to call again (after today)."))
    if (new_date - today).days > limit:
        if is_manager(env):
            raise UserError(_("A call back cannot be more than %(years)s years ahead.", years=MAX_DUE_DAYS // 365))
        raise UserError(
            _(
                "You can agree to call back at most %(days)s days ahead (until %(limit)s); ask a sales manager for a "
                "later date.",
                days=limit,
                limit=fields.Date.to_string(fields.Date.add(today, days=limit)),
            )
        )


def check_assignee(env, activities, user_id):
    """A retention call can go only to someone who can work it: an active internal user with sales rights, in
    the follow-up's company, with free retention-call capacity."""
    if is_system(env):
        return
    user = env["res.users"].sudo().browse(user_id).exists() if user_id else env["res.users"]
    name = user.name if user else _("nobody")
    if not user or not user.active or user.share or not user.has_group("sales_team.group_sale_salesman"):
        raise AccessError(
            _(
                "A retention call can only be assigned to an active internal user with sales rights, not to %(user)s.",
                user=name,
            )
        )
    for activity in activities:
        company = activity.sudo().retention_company_id
        if company and company not in user.company_ids:
            raise AccessError(
                _(
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
                _(
                    "%(user)s has no free retention-call capacity (%(free)s free, %(moving)s to assign): a sales "
                    "manager can raise the capacity in the sales team.",
                    user=name,
                    free=max(free, 0),
                    moving=len(moving),
                )
            )

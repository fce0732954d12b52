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

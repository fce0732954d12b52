import contextlib
import datetime
import logging
import os
import sys
import unittest
import zoneinfo

from freezegun import freeze_time

from odoo import Command, fields, sql_db
from odoo.tests import TransactionCase, new_test_user
from odoo.tests import common as odoo_test_common

_logger = logging.getLogger(__name__)

# ----------------------------------------------------------------------
# The clock and the timezone of a test run (issue 19: tests must not depend on either)
# ----------------------------------------------------------------------
# OR_TEST_NOW=2026-12-04T23:30:00 (a UTC instant; an offset is converted) runs every test class of this module
# with the clock frozen there (ticking, so HTTP requests and timeouts still progress), record create dates
# included; OR_TEST_TZ=Pacific/Kiritimati puts the admin and every active user of the test database (the
# classes' test users among them) in that timezone. scripts/clock_matrix.sh runs the date-sensitive suites over
# a grid of both. Without them nothing changes.
ENV_NOW = "OR_TEST_NOW"
ENV_TZ = "OR_TEST_TZ"
# The cheap form of that grid inside every run (see clock_grid): early, midday and late UTC, and 10:30 UTC (the
# most advanced timezone is already on the next day, UTC-11 still on the previous one), in the most advanced
# timezone and in one eleven hours behind UTC.
GRID_TIMES = (datetime.time(0, 30), datetime.time(10, 30), datetime.time(12, 0), datetime.time(23, 30))
GRID_TZS = ("Pacific/Kiritimati", "Pacific/Pago_Pago")


def parse_instant(text):
    """A naive UTC datetime from an ISO 8601 text (an offset, if any, is converted to UTC)."""
    instant = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if instant.tzinfo:
        instant = instant.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return instant


def test_clock():
    """(instant, tz) asked by the environment: a naive UTC datetime or None, a timezone name or None."""
    now, tz = os.environ.get(ENV_NOW, "").strip(), os.environ.get(ENV_TZ, "").strip()
    return (parse_instant(now) if now else None), (tz or None)


def _frozen_cursor_now(cursor):
    """Cursor.now() while the clock is frozen: the transaction's timestamp taken from the (frozen) clock
    instead of PostgreSQL's now(), so that create and write dates follow the frozen clock."""
    if cursor._now is None:
        cursor._now = datetime.datetime.now()
    return cursor._now


@contextlib.contextmanager
def _cursor_now_from_clock():
    real = sql_db.Cursor.now
    sql_db.Cursor.now = _frozen_cursor_now
    try:
        yield
    finally:
        sql_db.Cursor.now = real


def _set_users_tz(env, tz, users=None):
    """Put ``users`` (default: the admin and every active user) in ``tz``, as the superuser."""
    Users = env["res.users"].sudo().with_context(active_test=True)
    users = (users.sudo() if users is not None else Users.search([])) | env.ref("base.user_admin").sudo()
    users.write({"tz": tz})
    env.flush_all()


def _hook_set_up_class(klass):
    """Wrap ``klass.setUpClass``: the outermost call of a test class's set-up (a subclass's set-up runs its
    parents' through super()) freezes the clock before anything else and sets the users' timezone after
    everything else; inner calls pass through."""
    own = klass.__dict__.get("setUpClass")

    def setUpClass(cls):
        def original():
            if own is not None:
                own.__func__(cls)
            else:
                super(klass, cls).setUpClass()

        if cls.__dict__.get("_retention_clock_set_up"):
            return original()
        instant, tz = test_clock()
        if not instant and not tz:
            return original()
        cls._retention_clock_set_up = True
        cls.addClassCleanup(delattr, cls, "_retention_clock_set_up")
        if instant:
            # started before Odoo's own set-up, stopped after its clean-ups (class clean-ups run last in, first out)
            freezer = freeze_time(instant, tick=True)
            freezer.start()
            cls.addClassCleanup(freezer.stop)
            patcher = _cursor_now_from_clock()
            patcher.__enter__()
            cls.addClassCleanup(patcher.__exit__, None, None, None)
        original()
        if tz and getattr(cls, "env", None) is not None:
            _set_users_tz(cls.env, tz)
        # scripts/clock_matrix.sh counts these lines: a cell where none appears tested nothing
        _logger.info("order_retention test clock: %s at %s UTC, users in %s", cls.__name__, instant, tz)

    klass.setUpClass = classmethod(setUpClass)
    klass._retention_clock_hooked = True


def _new_test_user_in_test_tz(env, login="", groups="base.group_user", context=None, **kwargs):
    """odoo.tests.new_test_user, the user created in OR_TEST_TZ's timezone when that is set (so that what a
    class's set-up derives from its users' timezone already sees it)."""
    tz = test_clock()[1]
    if tz:
        kwargs.setdefault("tz", tz)
    return odoo_test_common.new_test_user(env, login, groups=groups, context=context, **kwargs)


def hook_test_clock(package):
    """Apply OR_TEST_NOW / OR_TEST_TZ to every test class defined in ``package``'s modules, and create their
    test users in OR_TEST_TZ (called once by tests/__init__.py after importing them all, so no suite is
    forgotten)."""
    prefix = package + "."
    for name, module in list(sys.modules.items()):
        if not name.startswith(prefix) or module is None:
            continue
        if vars(module).get("new_test_user") is odoo_test_common.new_test_user:
            module.new_test_user = _new_test_user_in_test_tz
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, unittest.TestCase)
                and value.__module__ == name
                and not value.__dict__.get("_retention_clock_hooked")
            ):
                _hook_set_up_class(value)


@contextlib.contextmanager
def frozen_clock(env, instant, tz=None, users=None):
    """Within a test: the clock frozen at ``instant`` (naive UTC), the create dates of records made meanwhile
    following it, and ``users`` (with the admin) in ``tz``. HTTP requests of an HttpCase see the same clock."""
    env.flush_all()
    cursor = env.cr
    saved = cursor._now
    with freeze_time(instant, tick=True), _cursor_now_from_clock():
        cursor._now = None
        env.invalidate_all()
        try:
            if tz:
                _set_users_tz(env, tz, users)
            yield
            env.flush_all()
        finally:
            cursor._now = saved
    env.invalidate_all()


def utc_to_local_date(moment, tz):
    """The date in ``tz`` of ``moment`` (a naive UTC datetime)."""
    return moment.replace(tzinfo=datetime.timezone.utc).astimezone(zoneinfo.ZoneInfo(tz)).date()


def clock_grid(day=None):
    """(instant, tz) pairs of the cheap in-run grid: GRID_TIMES of ``day`` x GRID_TZS. The default day is
    tomorrow (UTC): every instant then lies after the class's records were made, so that a test never travels
    back before the customers, numbers and calls of its set-up."""
    day = day or (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).date()
    return [(datetime.datetime.combine(day, time), tz) for time in GRID_TIMES for tz in GRID_TZS]


def clock_cases():
    """The clock as it is (real, or OR_TEST_NOW's in scripts/clock_matrix.sh's cells; tz None: the users keep
    theirs; not rounded, which would go back before records of the same second), then clock_grid()."""
    return [(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None), None), *clock_grid()]


def set_retention_settings(env, **values):
    """Give every company these retention settings (fields of res.company: each company has its own since
    18.0.1.6.0), as an administrator saving Settings in each would."""
    env["res.company"].sudo().with_context(active_test=False).search([]).write(values)


class RetentionCommon(TransactionCase):
    """Customers with dated confirmed orders, a salesperson, a sales team with a leader."""

    BASE = datetime.date(2025, 3, 1)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True, no_reset_password=True)
        )
        cls.Cycle = cls.env["retention.cycle"]
        cls.WriteBack = cls.env["retention.write.back"]
        cls.activity_type = cls.env.ref("order_retention.mail_act_retention_call")
        cls.salesman = new_test_user(
            cls.env, "ret_salesman", groups="sales_team.group_sale_salesman", name="Sally Sales"
        )
        cls.leader = new_test_user(cls.env, "ret_leader", groups="sales_team.group_sale_manager", name="Leo Leader")
        cls.fallback = new_test_user(
            cls.env, "ret_fallback", groups="sales_team.group_sale_salesman", name="Fay Fallback"
        )
        cls.team = cls.env["crm.team"].create({"name": "Retention Test Team", "user_id": cls.leader.id})
        cls.product = cls.env["product.product"].create(
            {"name": "Retention Test Widget", "list_price": 50.0, "type": "consu"}
        )

    def _set_aside_other_orders(self, customers):
        """Cancel, in this test's transaction, the confirmed orders of every customer but ``customers`` (and their
        contacts): a test about a few customers' figures then holds whatever the demo data holds (a day's orders of
        the demo's other customers move the peer and BG/NBD fits legitimately)."""
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE sale_order so SET state = 'cancel' FROM res_partner p
                WHERE p.id = so.partner_id AND so.state = 'sale' AND p.commercial_partner_id NOT IN %s""",
            [tuple(customers.ids)],
        )
        self.env.invalidate_all()

    @classmethod
    def _create_customer(cls, name, user=None, **vals):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, "user_id": user.id if user else False, **vals}
        )

    @classmethod
    def _create_orders(cls, partner, dates, amount=100.0, state="sale", team=None, user=None):
        """One order per date (datetime.date) for ``partner``, confirmed at that date unless ``state`` says
        otherwise."""
        vals_list = [
            {
                "partner_id": partner.id,
                "user_id": (user or partner.commercial_partner_id.user_id).id,
                "team_id": (team or cls.team).id,
                "date_order": datetime.datetime.combine(date, datetime.time(9, 0)),
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": amount})
                ],
            }
            for date in dates
        ]
        orders = cls.env["sale.order"].create(vals_list)
        orders.write({"state": state})
        for order, vals in zip(orders, vals_list, strict=False):
            order.date_order = vals["date_order"]
        orders.flush_recordset()
        return orders

    @classmethod
    def _regular_dates(cls, last, gap, count):
        """``count`` dates ``gap`` days apart ending at ``last``."""
        return [last - datetime.timedelta(days=gap * i) for i in range(count)][::-1]

    def _open_followups(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.activity_type.id),
            ]
        )

    def _all_followups(self, partner):
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", partner.id),
                    ("activity_type_id", "=", self.activity_type.id),
                ]
            )
        )

    @contextlib.contextmanager
    def _on_day(self, day):
        """Read the retention figures as on ``day``: day counts, the missing flag and the explanation are
        derived from today at read time (only the dates are stored)."""
        self.env.invalidate_all()
        with freeze_time(datetime.datetime.combine(day, datetime.time(12, 0))):
            yield
        self.env.invalidate_all()

    def _run(self, day):
        """Run a whole cycle as if today were ``day`` (activities' done dates follow the frozen clock)."""
        with freeze_time(datetime.datetime.combine(day, datetime.time(6, 0))):
            self.Cycle._retention_run_cycle(today=day)
        self.env.invalidate_all()

    def _close(self, activities, day):
        """Close follow-ups on ``day`` the way the system does (no call needed)."""
        with freeze_time(datetime.datetime.combine(day, datetime.time(15, 0))):
            activities._retention_close_system(feedback="done in test")
            self.env.flush_all()  # the stored done date is computed at flush time: keep it on the frozen day
        self.env.invalidate_all()

    @staticmethod
    def _day(date):
        return fields.Date.to_string(date)

import datetime
import math

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models import retention_policy as policy
from ..models.retention_cycle import RETENTION_STATUSES
from ..tools import backtest


class RetentionBacktest(models.TransientModel):
    _name = "retention.backtest"
    _description = "Retention Backtest"

    as_of = fields.Date(
        string="Classify as of", required=True,
        default=lambda self: fields.Date.context_today(self) - datetime.timedelta(days=180),
        help="Customers are classified with the orders placed before this date only.",
    )
    horizon_days = fields.Integer(
        string="Then watch for (days)", required=True, default=90,
        help="Who actually ordered in this many days after the date?",
    )
    line_ids = fields.One2many("retention.backtest.line", "backtest_id", string="Per Status", readonly=True)
    customers = fields.Integer(readonly=True)
    no_order = fields.Integer(string="Did not order", readonly=True)
    lost_precision = fields.Float(readonly=True, digits=(4, 2),
                                  help="Share of customers flagged lost who indeed did not order in the horizon.")
    lost_recall = fields.Float(readonly=True, digits=(4, 2),
                               help="Share of customers who did not order in the horizon that were flagged lost.")
    missing_precision = fields.Float(readonly=True, digits=(4, 2))
    missing_recall = fields.Float(readonly=True, digits=(4, 2))
    done = fields.Boolean(readonly=True)

    @api.constrains("as_of", "horizon_days")
    def _check_window(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            if wizard.horizon_days < 1:
                raise UserError(_("The horizon must be at least one day."))
            if wizard.as_of + datetime.timedelta(days=wizard.horizon_days) > today:
                raise UserError(_(
                    "The horizon must have passed to see who ordered: pick a date before %(date)s or a shorter horizon.",
                    date=fields.Date.to_string(today - datetime.timedelta(days=wizard.horizon_days)),
                ))

    def action_run(self):
        """Classify as of the chosen date with the current Settings and compare with what happened (managers)."""
        self.ensure_one()
        policy.check_manager(self.env, self.env._("Only a sales manager can run a backtest."))
        cycle = self.env["retention.cycle"]
        facts = cycle._retention_fetch_orders(fields.Date.context_today(self))
        per_status, metrics = backtest.backtest(facts, self.as_of, self.horizon_days, cycle._retention_engine_params())
        if not metrics["customers"]:
            raise UserError(_("No confirmed order before %(date)s: pick a later date.", date=fields.Date.to_string(self.as_of)))

        def clean(value):
            return 0.0 if math.isnan(value) else value

        self.line_ids = [fields.Command.clear()] + [fields.Command.create({
            "status": status,
            "customers": int(row["customers"]),
            "ordered": int(row["ordered"]),
            "order_rate": clean(float(row["order_rate"])),
        }) for status, row in per_status.iterrows()]
        self.write({
            "customers": metrics["customers"], "no_order": metrics["no_order"], "done": True,
            **{key: clean(metrics[key]) for key in ("lost_precision", "lost_recall", "missing_precision", "missing_recall")},
        })
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "new", "name": _("Retention Backtest")}


class RetentionBacktestLine(models.TransientModel):
    _name = "retention.backtest.line"
    _description = "Retention Backtest per Status"

    backtest_id = fields.Many2one("retention.backtest", required=True, ondelete="cascade")
    status = fields.Selection(RETENTION_STATUSES, readonly=True)
    customers = fields.Integer(readonly=True)
    ordered = fields.Integer(string="Ordered Afterwards", readonly=True)
    order_rate = fields.Float(string="Order Rate", readonly=True, digits=(4, 2))

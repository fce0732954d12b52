import datetime
import math

from odoo import _, api, fields, models
from odoo.exceptions import UserError

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
    missing_precision = fields.Float(readonly=True, digits=(4, 2),
                                     help="Share of customers flagged missing an order who indeed did not order.")
    missing_recall = fields.Float(readonly=True, digits=(4, 2),
                                  help="Share of customers who did not order that were flagged missing an order.")
    # the same ratios as read: "n/a" when undefined (nobody flagged, or everybody ordered), never a false 0 %
    lost_precision_text = fields.Char(string="Lost: precision", readonly=True,
                                      help="Of the customers flagged lost, the share who indeed did not order.")
    lost_recall_text = fields.Char(string="Lost: recall", readonly=True,
                                   help="Of the customers who did not order, the share flagged lost.")
    missing_precision_text = fields.Char(string="Missing order: precision", readonly=True,
                                         help="Of the customers flagged missing an order, the share who indeed did not order.")
    missing_recall_text = fields.Char(string="Missing order: recall", readonly=True,
                                      help="Of the customers who did not order, the share flagged missing an order.")
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
        """Classify as of the chosen date with the current Settings and compare with what happened."""
        self.ensure_one()
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
            "order_rate_text": self._retention_percent(float(row["order_rate"]), _("n/a (no customer)")),
        }) for status, row in per_status.iterrows()]
        undefined = {
            "lost_precision": _("n/a (nobody flagged lost)"),
            "missing_precision": _("n/a (nobody flagged)"),
            "lost_recall": _("n/a (everybody ordered)"),
            "missing_recall": _("n/a (everybody ordered)"),
        }
        self.write({
            "customers": metrics["customers"], "no_order": metrics["no_order"], "done": True,
            **{key: clean(metrics[key]) for key in undefined},
            **{key + "_text": self._retention_percent(metrics[key], text) for key, text in undefined.items()},
        })
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "new", "name": _("Retention Backtest")}


    @api.model
    def _retention_percent(self, ratio, undefined):
        """A ratio as a whole percentage, or ``undefined`` when it has no denominator (NaN)."""
        return undefined if math.isnan(ratio) else "%d %%" % round(ratio * 100)


class RetentionBacktestLine(models.TransientModel):
    _name = "retention.backtest.line"
    _description = "Retention Backtest per Status"

    backtest_id = fields.Many2one("retention.backtest", required=True, ondelete="cascade")
    status = fields.Selection(RETENTION_STATUSES, readonly=True)
    customers = fields.Integer(readonly=True)
    ordered = fields.Integer(string="Ordered Afterwards", readonly=True)
    order_rate = fields.Float(string="Order Rate", readonly=True, digits=(4, 2))
    order_rate_text = fields.Char(string="Ordered Afterwards (%)", readonly=True,
                                  help="Share of the customers of this status who ordered within the horizon.")

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
        string="Classify as of",
        required=True,
        default=lambda self: fields.Date.context_today(self) - datetime.timedelta(days=180),
        help="Customers are classified with the orders placed before this date only.",
    )
    horizon_days = fields.Integer(
        string="Then watch for (days)",
        required=True,
        default=180,
        help="Who actually ordered in this many days after the date? The learned churn probability is "
        "scored over the same number of days.",
    )
    line_ids = fields.One2many("retention.backtest.line", "backtest_id", string="Per Status", readonly=True)
    customers = fields.Integer(readonly=True)
    no_order = fields.Integer(string="Did not order", readonly=True)
    lost_precision = fields.Float(
        string="Lost Precision (learned)",
        readonly=True,
        digits=(4, 2),
        help="Share of customers flagged lost (learned model) who indeed did not order in the horizon.",
    )
    lost_recall = fields.Float(
        string="Lost Recall (learned)",
        readonly=True,
        digits=(4, 2),
        help="Share of customers who did not order in the horizon that the learned model flagged lost.",
    )
    rule_lost_precision = fields.Float(
        string="Lost Precision (rules)",
        readonly=True,
        digits=(4, 2),
        help="Share of customers the rules alone flag lost who indeed did not order in the horizon.",
    )
    rule_lost_recall = fields.Float(
        string="Lost Recall (rules)",
        readonly=True,
        digits=(4, 2),
        help="Share of customers who did not order in the horizon that the rules alone flag lost.",
    )
    auc = fields.Float(
        string="AUC (learned)",
        readonly=True,
        digits=(4, 3),
        help="How often the learned churn probability ranks a customer who did not order above one who did "
        "(0.5 = chance, 1 = perfect).",
    )
    rule_auc = fields.Float(
        string="AUC (rules)",
        readonly=True,
        digits=(4, 3),
        help="The same for the rules' probability of no order in 90 days (ordering rhythm alone).",
    )
    model_used = fields.Boolean(
        string="Learned Model Used",
        readonly=True,
        help="Set when there was enough history before the date to learn a model; otherwise the learned "
        "figures equal the rules'.",
    )
    model_status = fields.Char(
        string="Learned Model",
        readonly=True,
        help="Used, or why not (e.g. too little history before the date, with how many customers it had and how "
        "many it needs). When it was not used, the learned figures are not shown: they would repeat the rules'.",
    )
    model_explanation = fields.Text(
        string="Model at that Date",
        readonly=True,
        help="What the model learned from the history before the chosen date, in plain words.",
    )
    current_model_explanation = fields.Text(
        string="Current Model",
        compute="_compute_current_model_explanation",
        help="What the model of the latest retention computation learned, in plain words.",
    )
    missing_precision = fields.Float(
        readonly=True,
        digits=(4, 2),
        help="Share of customers with a missing-order alert who indeed did not order in the horizon.",
    )
    missing_recall = fields.Float(
        readonly=True,
        digits=(4, 2),
        help="Share of customers who did not order in the horizon that had a missing-order alert.",
    )
    # the ratios as read: "n/a" when undefined (nobody flagged, or everybody ordered), never a false 0 %
    lost_precision_text = fields.Char(
        string="Lost: precision (learned)",
        readonly=True,
        help="Of the customers the learned model flags lost, the share who indeed did not order.",
    )
    lost_recall_text = fields.Char(
        string="Lost: recall (learned)",
        readonly=True,
        help="Of the customers who did not order, the share the learned model flags lost.",
    )
    rule_lost_precision_text = fields.Char(
        string="Lost: precision (rules)",
        readonly=True,
        help="Of the customers the rules alone flag lost, the share who indeed did not order.",
    )
    rule_lost_recall_text = fields.Char(
        string="Lost: recall (rules)",
        readonly=True,
        help="Of the customers who did not order, the share the rules alone flag lost.",
    )
    missing_precision_text = fields.Char(
        string="Missing order: precision",
        readonly=True,
        help="Of the customers flagged missing an order, the share who indeed did not order.",
    )
    missing_recall_text = fields.Char(
        string="Missing order: recall",
        readonly=True,
        help="Of the customers who did not order, the share flagged missing an order.",
    )
    done = fields.Boolean(readonly=True, help="The backtest has run: its figures are shown.")

    def _compute_current_model_explanation(self):
        run = self.env["retention.model.run"].search([], limit=1)
        for wizard in self:
            wizard.current_model_explanation = (
                run.explanation if run else self.env["retention.model.run"]._retention_explain(None)
            )

    @api.constrains("as_of", "horizon_days")
    def _check_window(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            if wizard.horizon_days < 1:
                raise UserError(_("The horizon must be at least one day."))
            if wizard.as_of + datetime.timedelta(days=wizard.horizon_days) > today:
                raise UserError(
                    _(
                        "The horizon must have passed to see who ordered: pick a date before %(date)s or a "
                        "shorter horizon.",
                        date=fields.Date.to_string(today - datetime.timedelta(days=wizard.horizon_days)),
                    )
                )

    def action_run(self):
        """Classify as of the chosen date with the current Settings and compare with what happened (managers)."""
        self.ensure_one()
        policy.check_manager(self.env, self.env._("Only a sales manager can run a backtest."))
        cycle = self.env["retention.cycle"]
        facts = cycle._retention_fetch_orders(fields.Date.context_today(self))
        per_status, metrics = backtest.backtest(facts, self.as_of, self.horizon_days, cycle._retention_engine_params())
        if not metrics["customers"]:
            raise UserError(
                _("No confirmed order before %(date)s: pick a later date.", date=fields.Date.to_string(self.as_of))
            )

        def clean(value):
            return 0.0 if math.isnan(value) else value

        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create(
                {
                    "status": status,
                    "customers": int(row["customers"]),
                    "ordered": int(row["ordered"]),
                    "order_rate": clean(float(row["order_rate"])),
                    "rule_customers": int(row["rule_customers"]),
                    "rule_ordered": int(row["rule_ordered"]),
                    "rule_order_rate": clean(float(row["rule_order_rate"])),
                    "order_rate_text": self._retention_percent(float(row["order_rate"]), _("n/a (no customer)")),
                    "rule_order_rate_text": self._retention_percent(
                        float(row["rule_order_rate"]), _("n/a (no customer)")
                    ),
                }
            )
            for status, row in per_status.iterrows()
        ]
        undefined = {
            "lost_precision": _("n/a (nobody flagged lost)"),
            "rule_lost_precision": _("n/a (nobody flagged lost)"),
            "missing_precision": _("n/a (nobody flagged)"),
            "lost_recall": _("n/a (everybody ordered)"),
            "rule_lost_recall": _("n/a (everybody ordered)"),
            "missing_recall": _("n/a (everybody ordered)"),
        }
        self.write(
            {
                "customers": metrics["customers"],
                "no_order": metrics["no_order"],
                "done": True,
                "model_used": metrics["model_used"],
                "model_status": self.env["retention.model.run"]._retention_model_status(metrics["churn_model"]),
                "model_explanation": self.env["retention.model.run"]._retention_explain(
                    metrics["churn_model"].as_dict()
                ),
                "auc": clean(metrics["auc"]),
                "rule_auc": clean(metrics["rule_auc"]),
                **{key: clean(metrics[key]) for key in undefined},
                **{key + "_text": self._retention_percent(metrics[key], text) for key, text in undefined.items()},
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Retention Backtest"),
        }

    @api.model
    def _retention_percent(self, ratio, undefined):
        """A ratio as a whole percentage, or ``undefined`` when it has no denominator (NaN)."""
        return undefined if math.isnan(ratio) else "%d %%" % round(ratio * 100)


class RetentionBacktestLine(models.TransientModel):
    _name = "retention.backtest.line"
    _description = "Retention Backtest per Status"

    backtest_id = fields.Many2one("retention.backtest", required=True, ondelete="cascade")
    status = fields.Selection(RETENTION_STATUSES, readonly=True, help="Status as of the backtest date.")
    customers = fields.Integer(
        string="Customers (learned)", readonly=True, help="Customers in this status with the learned lost."
    )
    ordered = fields.Integer(
        string="Ordered Afterwards (learned)", readonly=True, help="Of those, customers who ordered in the horizon."
    )
    order_rate = fields.Float(
        string="Order Rate (learned)", readonly=True, digits=(4, 2), help="Share of those who ordered in the horizon."
    )
    rule_customers = fields.Integer(
        string="Customers (rules)", readonly=True, help="Customers in this status under the rules alone."
    )
    rule_ordered = fields.Integer(
        string="Ordered Afterwards (rules)", readonly=True, help="Of those, customers who ordered in the horizon."
    )
    rule_order_rate = fields.Float(
        string="Order Rate (rules)", readonly=True, digits=(4, 2), help="Share of those who ordered in the horizon."
    )
    order_rate_text = fields.Char(
        string="Share Ordered (learned)",
        readonly=True,
        help="Share of the customers of this status (learned lost) who ordered within the horizon.",
    )
    rule_order_rate_text = fields.Char(
        string="Share Ordered (rules)",
        readonly=True,
        help="Share of the customers of this status (rules alone) who ordered within the horizon.",
    )

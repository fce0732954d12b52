import math

from odoo import api, fields, models

from ..tools import cadence

FALLBACK_REASONS = [
    ("disabled", "Learning switched off"),
    ("few_origins", "History too short"),
    ("few_customers", "Too few customers"),
    ("few_labels", "Too few examples"),
    ("fit_failed", "Fit failed"),
]


class RetentionModelRun(models.Model):
    """The churn model of one day's retention computation: what it learned from the company's
    history (or why it fell back to the rules), kept so managers can see and trust it."""

    _name = "retention.model.run"
    _description = "Retention Churn Model Run"
    _order = "date desc, id desc"
    _rec_name = "date"

    date = fields.Date(required=True, index=True, readonly=True, help="Day the customers were classified as of.")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
        help="The company whose customers and orders this model learned from (each company has its own).",
    )
    model_used = fields.Boolean(
        string="Learned Model Used",
        readonly=True,
        help="Set when the churn probability and the lost status came from the model learned on your history; "
        "otherwise the rules decided (see the reason).",
    )
    fallback_reason = fields.Selection(
        FALLBACK_REASONS,
        readonly=True,
        help="Why the rules were used instead of the learned model.",
    )
    model_status = fields.Char(
        string="Learned Model",
        compute="_compute_model_status",
        help="Used, or why not: e.g. too little history, with how many customers it had and how many it needs. "
        "When it was not used its threshold and AUC are meaningless and are not shown.",
    )
    horizon_days = fields.Integer(
        readonly=True, help="The churn probability is the chance of no order within this many days."
    )
    origins = fields.Char(
        string="Past Dates (days back)",
        readonly=True,
        help="The model learned from how customers behaved after these past dates (days before the run).",
    )
    customers_at_oldest = fields.Integer(
        string="Customers at Oldest Date",
        readonly=True,
        help="Customers who had ordered by the oldest past date used.",
    )
    training_rows = fields.Integer(
        readonly=True,
        help="Customer snapshots the model learned from (one per customer and past date).",
    )
    no_order_rows = fields.Integer(
        string="Snapshots Without a Later Order",
        readonly=True,
        help="Training snapshots of customers who did not order again up to the run date.",
    )
    threshold = fields.Float(
        string="Best Cut (t*)",
        readonly=True,
        digits=(16, 3),
        help="Probability that best separates likely churners from the others on today's scores (expected "
        "Matthews correlation).",
    )
    lost_threshold = fields.Float(
        string="Lost From",
        readonly=True,
        digits=(16, 3),
        help="Cold customers are called lost from this churn probability on: the best cut, never below 50 %.",
    )
    train_auc = fields.Float(
        string="Training AUC",
        readonly=True,
        digits=(16, 3),
        help="How often the model ranks a customer who stopped ordering above one who kept ordering, on its "
        "training snapshots (0.5 = chance, 1 = perfect).",
    )
    customers = fields.Integer(readonly=True, help="Customers classified in this run.")
    lost_count = fields.Integer(string="Lost", readonly=True, help="Customers classified lost in this run.")
    rule_lost_count = fields.Integer(
        string="Lost by the Rules",
        readonly=True,
        help="Customers the rules alone would have classified lost.",
    )
    value_at_risk = fields.Monetary(
        string="Total Value at Risk",
        readonly=True,
        currency_field="currency_id",
        help="Sum over customers of annual value × churn probability (company currency).",
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        help="The currency the value at risk is shown in: the current company's.",
    )
    model_data = fields.Json(
        readonly=True,
        help="The fitted model: coefficients, standardisation, threshold, training figures.",
    )
    # --- the retention-call queue of that night (retention.queue) ---
    winback_learned = fields.Boolean(
        string="Win-back Chance Learned",
        readonly=True,
        help="Set when the chance that a call wins a customer back came from your own past retention calls (at least "
        "200 whose 90-day window is over, with at least 20 win-backs); otherwise a default curve by silence was used.",
    )
    winback_calls = fields.Integer(
        string="Calls With a Known Result",
        readonly=True,
        help="Past retention calls closed by a verified call whose 90-day window is over.",
    )
    winback_count = fields.Integer(
        string="Win-backs", readonly=True, help="Of those calls, the ones followed by an order within 90 days."
    )
    winback_rates = fields.Char(
        string="Win-back Chance by Silence",
        readonly=True,
        help="The chance used per silence band (days since the last order) to rank the customers waiting for a call.",
    )
    queue_created = fields.Integer(
        string="Calls Scheduled", readonly=True, help="Retention calls the queue scheduled that night."
    )
    queue_waiting = fields.Integer(
        string="Customers Waiting",
        readonly=True,
        help="Customers who needed a call but waited for a free slot in their salesperson's queue.",
    )
    queue_stopped = fields.Integer(
        string="Out of the Call Queue",
        readonly=True,
        help="Customers who left the call queue (unanswered calls, a long silence or a reason that stops calls).",
    )
    queue_messages = fields.Integer(
        string="Messages Queued", readonly=True, help="Low-touch e-mails and SMS queued that night."
    )
    followup_cursor = fields.Integer(
        string="Follow-ups Checked Up To",
        readonly=True,
        copy=False,
        help="Follow-up phase of the day: the highest customer id already checked (the batches walk the ids upwards).",
    )
    followup_remaining = fields.Integer(
        string="Follow-ups Remaining",
        readonly=True,
        copy=False,
        help="Follow-up phase of the day: customers still to check, counted once after the computation and then "
        "decreased batch by batch (recounted when it reaches zero).",
    )
    explanation = fields.Text(
        compute="_compute_explanation",
        help="What the model learned about your customers, in plain words.",
    )

    @api.depends("company_id")
    def _compute_currency_id(self):
        for run in self:
            run.currency_id = run.company_id.currency_id or self.env.company.currency_id

    @api.depends("model_data")
    def _compute_explanation(self):
        for run in self:
            run.explanation = self._retention_explain(run.model_data)

    @api.depends("model_data", "model_used", "fallback_reason")
    def _compute_model_status(self):
        for run in self:
            model = (
                cadence.churn_model_from_dict(run.model_data)
                if run.model_data
                else cadence.ChurnModel(
                    used=run.model_used, fallback_reason=run.fallback_reason or "", horizon_days=run.horizon_days
                )
            )
            run.model_status = self._retention_model_status(model)

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    @api.model
    def _retention_latest(self, company, day):
        """The latest run of ``company`` on or before ``day`` (the model its customers' figures come from)."""
        return self.sudo().search(
            [("company_id", "=", company.id), ("date", "<=", day)], order="date desc, id desc", limit=1
        )

    @api.model
    def _retention_record_run(self, as_of, result, company):
        """Store the churn model of ``company``'s computation as of ``as_of`` (one run per company and day: a
        rerun the same day replaces it). Written by the system for managers to read."""
        model = result.attrs["churn_model"]
        lost = int((result["status"] == "lost").sum()) if len(result) else 0
        rule_lost = int((result["rule_status"] == "lost").sum()) if len(result) else 0

        def finite(value):
            return value if model.used and math.isfinite(value) else 0.0

        Run = self.sudo()  # managers only read runs: the cycle (cron or Run now) records them
        Run.search([("date", "=", as_of), ("company_id", "=", company.id)]).unlink()
        return Run.create(
            {
                "date": as_of,
                "company_id": company.id,
                "model_used": model.used,
                "fallback_reason": model.fallback_reason or False,
                "horizon_days": model.horizon_days,
                "origins": ", ".join(str(s) for s in model.origins),
                "customers_at_oldest": model.customers_at_oldest,
                "training_rows": model.training_rows,
                "no_order_rows": model.no_order_rows,
                "threshold": finite(model.threshold),
                "lost_threshold": finite(model.lost_threshold),
                "train_auc": finite(model.train_auc),
                "customers": len(result),
                "lost_count": lost,
                "rule_lost_count": rule_lost,
                "value_at_risk": float(result["value_at_risk"].sum()) if len(result) else 0.0,
                "model_data": model.as_dict(),
            }
        )

    @api.model
    def _retention_model_status(self, model):
        """One line on a churn model (cadence.ChurnModel): "Used", or "Not used: <why>" with the figure it had
        and the one it needs (the engine's thresholds), in the user's language."""
        _ = self.env._
        if model.used:
            return _("Used")
        params = self.env["retention.cycle"]._retention_engine_params()
        if model.fallback_reason == "few_customers":
            return _(
                "Not used: too little history (%(count)s customers, needs %(needed)s)",
                count=model.customers_at_oldest,
                needed=params.churn_min_customers,
            )
        if model.fallback_reason == "few_origins":
            return _(
                "Not used: too little history (%(count)s past dates with %(days)s days of orders before them, "
                "needs %(needed)s)",
                count=len(model.origins),
                days=params.churn_min_history_days,
                needed=params.churn_min_origins,
            )
        if model.fallback_reason == "few_labels":
            return _(
                "Not used: too little history (%(stopped)s examples of customers who stopped ordering and "
                "%(kept)s who kept ordering, needs %(needed)s of each)",
                stopped=model.no_order_rows,
                kept=model.training_rows - model.no_order_rows,
                needed=params.churn_min_label_rows,
            )
        if model.fallback_reason == "disabled":
            return _("Not used: learning is switched off")
        return _("Not used: the model could not be fitted")

    @api.model
    def _retention_explain(self, model_data):
        """Plain-words explanation of a stored churn model (ChurnModel.as_dict()), in the user's language."""
        _ = self.env._
        if not model_data:
            return _("No retention computation has run yet.")
        model = cadence.churn_model_from_dict(model_data)
        if not model.used:
            reasons = {
                "disabled": _("learning is switched off"),
                "few_origins": _("the order history does not reach far enough back yet (at least 90 days are needed)"),
                "few_customers": _(
                    "only %(count)s customers had ordered by the oldest past date, at least 200 are needed",
                    count=model.customers_at_oldest,
                ),
                "few_labels": _("fewer than 30 examples of customers who stopped ordering, or who kept ordering"),
                "fit_failed": _("the model could not be fitted"),
            }
            return _(
                "Too little history to learn from (%(reason)s): the rules decide who is lost, and the churn "
                "probability comes from each customer's ordering rhythm.",
                reason=reasons.get(model.fallback_reason, model.fallback_reason),
            )
        effects = cadence.churn_effects(model)
        lines = [
            _(
                "Learned from your own history: %(rows)s snapshots of your customers at %(dates)s past dates "
                "(%(stopped)s of them did not order again).",
                rows=model.training_rows,
                dates=len(model.origins),
                stopped=model.no_order_rows,
            ),
            _(
                "For your customers, 100 more silent days multiply the odds of not ordering in the next "
                "%(horizon)s days by %(silence).2f; being silent one more usual gap (about %(gap)s days) "
                "multiplies them by %(gap_effect).2f.",
                horizon=model.horizon_days,
                silence=effects["silent_100_days"],
                gap=round(model.typical_gap),
                gap_effect=effects["one_more_gap"],
            ),
            _(
                "Twice as many past orders multiply them by %(orders).2f; orders twice as large by %(amount).2f.",
                orders=effects["orders_doubled"],
                amount=effects["amount_doubled"],
            ),
            _(
                "Cold customers count as lost from a %(lost)s %% churn probability on (best cut for your "
                "customers: %(best)s %%). The model ranks a customer who stopped above one who kept ordering "
                "%(auc)s %% of the time.",
                lost=round(100 * model.lost_threshold),
                best=round(100 * model.threshold),
                auc=round(100 * model.train_auc),
            ),
        ]
        return "\n".join(lines)

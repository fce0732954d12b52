from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from . import retention_policy as policy
from .retention_cancel_reason import CANCEL_REASON_REQUIRED_KEY, retention_cancel_reason_required

# Every numeric setting of the module: settings field -> (ir.config_parameter key, type, default, minimum).
# They are stored as text by get/set_values below rather than with `config_parameter=`, because an
# Integer config_parameter set to 0 is deleted and reads back as its default; here 0 is a real value
# ("no follow-up" for an interval).
RETENTION_PARAMS = {
    # --- retention cycle (engine thresholds and follow-up intervals) ---
    "retention_warm_interval_days": ("order_retention.warm_interval_days", int, 14, 0),
    "retention_cold_interval_days": ("order_retention.cold_interval_days", int, 30, 0),
    "retention_lost_interval_days": ("order_retention.lost_interval_days", int, 30, 0),
    "retention_warning_z": ("order_retention.warning_z", float, 1.0, 0.0),
    "retention_cold_multiple": ("order_retention.cold_multiple", float, 1.0, 1.0),
    "retention_lost_probability": ("order_retention.lost_probability", float, 0.85, 0.0),
    "retention_lost_cap_days": ("order_retention.lost_cap_days", int, 365, 1),
    "retention_shrinkage_kappa": ("order_retention.shrinkage_kappa", float, 4.0, 0.0),
    # --- the retention queue: stopping rules and call-backs ---
    "retention_max_unanswered": ("order_retention.max_unanswered", int, 3, 1),
    "retention_stop_after_days": ("order_retention.stop_after_days", int, 730, 0),
    "retention_call_again_max_days": ("order_retention.call_again_max_days", int, 90, 1),
    # --- call verification ---
    "retention_min_call_seconds": ("order_retention.min_call_seconds", int, 20, 0),
    "retention_winback_min_amount": ("order_retention.winback_min_amount", float, 0.0, 0.0),
    # --- quotation hygiene ---
    "retention_duplicate_window_days": ("order_retention.duplicate_window_days", int, 30, 1),
}


def retention_param(env, field_name):
    """Typed value of one numeric retention setting (see RETENTION_PARAMS), falling back to its default
    when the stored text is missing or unreadable."""
    key, cast, default, _minimum = RETENTION_PARAMS[field_name]
    raw = env["ir.config_parameter"].sudo().get_param(key)
    if raw in (None, False, ""):
        return default
    try:
        return cast(float(raw)) if cast is int else cast(raw)
    except ValueError:
        return default


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # --- retention cycle ---
    retention_warm_interval_days = fields.Integer(
        string="Warm follow-up every (days)",
        default=14,
        help="Days between two retention calls for a warm customer; 0 means no follow-up.",
    )
    retention_cold_interval_days = fields.Integer(
        string="Cold follow-up every (days)",
        default=30,
        help="Days between two retention calls for a cold customer; 0 means no follow-up.",
    )
    retention_lost_interval_days = fields.Integer(
        string="Lost follow-up every (days)",
        default=30,
        help="Days between two retention calls for a lost customer; 0 means no follow-up.",
    )
    retention_warning_z = fields.Float(
        string="Missing-order alert: tolerance",
        default=1.0,
        digits=(4, 2),
        help="How much longer than their usual gap a customer may stay silent before the order counts as missing. "
        "1 (default): about one normal gap in six is longer than the alert level, so an alert means something; "
        "0.5 warns earlier (more alerts), 2 later (fewer). Technically: the alert fires past "
        "exp(mean log gap + tolerance × spread of the log gaps).",
    )
    retention_cold_multiple = fields.Float(
        string="Cold after (× the alert level)",
        default=1.0,
        digits=(4, 2),
        help="A customer becomes cold when the silence exceeds this multiple of their missing-order alert level: "
        "1 (default) = cold as soon as the order is missing; 1.5 leaves them warm half a gap longer.",
    )
    retention_lost_probability = fields.Float(
        string="Lost at this chance of no order in 90 days",
        default=0.85,
        digits=(4, 2),
        help="A customer whose order is missing becomes lost once the chance that they will not order in the next "
        "90 days reaches this level: 85 % (default); 100 % turns this rule off (then only the days-of-silence cap "
        "makes customers lost). The chance comes from the buying pattern of your whole customer base, or from the "
        "customer's own rhythm while few customers have ordered twice; once the learned churn model is in use "
        "(Churn Models), it decides instead.",
    )
    retention_lost_cap_days = fields.Integer(
        string="Lost after (days of silence)",
        default=365,
        help="Absolute cap: a customer silent this long is lost whatever their rhythm.",
    )
    retention_shrinkage_kappa = fields.Float(
        string="Weight of similar customers",
        default=4.0,
        digits=(4, 1),
        help="A customer with few orders is judged partly on the rhythm of similar customers (same sales team). "
        "This is how many of the customer's own gaps between orders count as much as that shared rhythm: with 4 "
        "(default) a customer with 4 gaps is judged half on their own rhythm, with 12 gaps three quarters. "
        "0: only their own history.",
    )
    retention_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Retention activity type",
        config_parameter="order_retention.activity_type_id",
        domain="[('res_model', 'in', (False, 'res.partner'))]",
        help="Activity scheduled for warm, cold and lost customers.",
    )
    retention_fallback_user_id = fields.Many2one(
        "res.users",
        string="Follow-ups without salesperson go to",
        config_parameter="order_retention.fallback_user_id",
        domain="[('share', '=', False)]",
        help="Assignee of retention calls for customers with neither a salesperson nor a sales team leader.",
    )
    # --- the retention queue ---
    retention_call_capacity = fields.Integer(
        related="company_id.retention_call_capacity",
        readonly=False,
        string="Retention calls per salesperson",
    )
    retention_low_touch_warm = fields.Selection(related="company_id.retention_low_touch_warm", readonly=False)
    retention_low_touch_cold = fields.Selection(related="company_id.retention_low_touch_cold", readonly=False)
    retention_low_touch_lost = fields.Selection(related="company_id.retention_low_touch_lost", readonly=False)
    retention_mail_template_id = fields.Many2one(related="company_id.retention_mail_template_id", readonly=False)
    retention_sms_template_id = fields.Many2one(related="company_id.retention_sms_template_id", readonly=False)
    retention_low_touch_max = fields.Integer(related="company_id.retention_low_touch_max", readonly=False)
    retention_max_unanswered = fields.Integer(
        string="Stop calling after (unanswered calls)",
        default=3,
        help="After this many retention calls in a row closed with no answer or a wrong number, the customer leaves "
        "the call queue and gets only the low-touch message of Settings. A sales manager can put them back.",
    )
    retention_stop_after_days = fields.Integer(
        string="Stop calling after (days without an order)",
        default=730,
        help="A customer silent longer than this leaves the call queue and gets only the low-touch message of "
        "Settings; 0 means never. A sales manager can keep a customer in the queue.",
    )
    retention_call_again_max_days = fields.Integer(
        string="Call back at most (days ahead)",
        default=90,
        help="A salesperson can agree to call a customer back at most this many days ahead; further needs a sales "
        "manager.",
    )
    # --- call verification ---
    retention_min_call_seconds = fields.Integer(
        string="Minimum verified call (seconds)",
        default=20,
        help="A retention call activity closes only with a logged call at least this long.",
    )
    retention_winback_min_amount = fields.Float(
        string="Order counts above (amount)",
        default=0.0,
        digits=(16, 2),
        help="A confirmed order counts for the ordering rhythm and closes open retention calls (back to active) "
        "only when its untaxed amount, in company currency, is above this amount. The default 0 means any order "
        "with a positive amount; a 0-value order never wins a customer back.",
    )
    # computed (not related, which reads as superuser) and restricted: only who may see the token's hint gets it
    retention_pbx_token_hint = fields.Char(
        string="PBX token",
        compute="_compute_retention_pbx_token",
        groups=policy.PBX_TOKEN_GROUPS,
        help="Last characters of the active PBX token (sales managers and administrators only).",
    )
    retention_pbx_token_date = fields.Datetime(
        string="PBX Token Created",
        compute="_compute_retention_pbx_token",
        groups=policy.PBX_TOKEN_GROUPS,
        help="When the active PBX token was generated.",
    )
    # --- quotation hygiene ---
    # read and written by get_values/set_values (a compute without dependencies loaded unchecked in the
    # Settings form, so any save there turned the rule off)
    retention_cancel_reason_required = fields.Boolean(
        string="Cancellation reason required",
        default=True,
        help="Cancelling a sale order from the interface (form, e-mail wizard, mass cancel) asks for a reason.",
    )
    retention_duplicate_window_days = fields.Integer(
        string="Duplicate window (days)",
        default=30,
        help="Quotations of the same customer created within this many days of each other (or of a confirmed "
        "order with the same products) are proposed as duplicates.",
    )

    @api.depends("company_id")
    @api.depends_context("uid")
    def _compute_retention_pbx_token(self):
        allowed = policy.may_see_pbx_token(self.env)
        for settings in self:
            company = settings.company_id.sudo() if allowed else settings.company_id.browse()
            settings.retention_pbx_token_hint = company.retention_pbx_token_hint or False
            settings.retention_pbx_token_date = company.retention_pbx_token_date or False

    @api.model
    def get_values(self):
        policy.check_settings_reader(self.env)
        res = super().get_values()
        res.update({fname: retention_param(self.env, fname) for fname in RETENTION_PARAMS})
        res["retention_cancel_reason_required"] = retention_cancel_reason_required(self.env)
        return res

    def set_values(self):
        res = super().set_values()
        icp = self.env["ir.config_parameter"].sudo()
        for fname, (key, _cast, _default, _minimum) in RETENTION_PARAMS.items():
            icp.set_param(key, str(self[fname]))
        icp.set_param(CANCEL_REASON_REQUIRED_KEY, str(bool(self.retention_cancel_reason_required)))
        return res

    @api.constrains(*RETENTION_PARAMS, "retention_call_capacity", "retention_low_touch_max")
    def _check_retention_params(self):
        for settings in self:
            for fname, (_key, _cast, _default, minimum) in RETENTION_PARAMS.items():
                if settings[fname] < minimum:
                    raise ValidationError(
                        _(
                            "%(setting)s cannot be lower than %(minimum)s (it is %(value)s).",
                            setting=self._fields[fname].string,
                            minimum=minimum,
                            value=settings[fname],
                        )
                    )
            if not 0 <= settings.retention_call_capacity <= 1000:
                raise ValidationError(_("Retention calls per salesperson: enter a number between 0 and 1000."))
            if settings.retention_low_touch_max < 0:
                raise ValidationError(_("Messages per night cannot be negative."))
            if settings.retention_lost_probability > 1:
                raise ValidationError(
                    _("The lost probability threshold is a probability: enter a value between 0 and 1.")
                )

    def action_retention_generate_pbx_token(self):
        """Generate the company's PBX token and show it once (sales managers and admins only)."""
        self._retention_check_manager()
        token = self.company_id._retention_generate_pbx_token()
        # the clear token only travels in this response (a dialog with a copy button); only its hash is stored
        return {
            "type": "ir.actions.client",
            "tag": "order_retention.pbx_token_dialog",
            "target": "new",
            "name": _("New PBX token for %(company)s", company=self.company_id.name),
            "params": {"token": token, "endpoint": "/order_retention/calls"},
        }

    def action_retention_revoke_pbx_token(self):
        """Revoke the company's PBX token: the telephony can no longer push calls until a new one is generated."""
        self._retention_check_manager()
        self.company_id._retention_revoke_pbx_token()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_retention_telephony(self):
        """The company's telephony providers (a row each, created off on first use), to turn on and set up."""
        self._retention_check_manager()
        return self.env["retention.telephony"].with_company(self.company_id).action_retention_open()

    def _retention_check_manager(self):
        policy.check_manager(self.env, _("Only sales managers can manage the PBX token."))

    def action_retention_run_now(self):
        """Save the settings, then run the retention cycle now (in the background, through the cron)."""
        policy.check_manager(self.env, _("Only sales managers and administrators can run the retention cycle."))
        self.execute()
        self.env["retention.cycle"]._retention_reset_day()
        self.env.ref("order_retention.ir_cron_retention_cycle")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("The retention cycle will run in a moment; statuses and follow-ups update when it ends."),
            },
        }

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from . import retention_policy as policy
from .retention_cancel_reason import CANCEL_REASON_REQUIRED_KEY, retention_cancel_reason_required

# The numeric settings of a company (issue 23: a customer of two companies is classified and followed up by each with
# its own orders, salespeople and settings): fields of res.company (models/res_company.py: their types and defaults),
# shown in Settings for the current company -> the lowest value each accepts. Until 18.0.1.6.0 they were one value for
# the whole database (its migration gives them to every company).
COMPANY_PARAMS = {
    # --- retention cycle (engine thresholds and follow-up intervals) ---
    "retention_warm_interval_days": 0,
    "retention_cold_interval_days": 0,
    "retention_lost_interval_days": 0,
    "retention_warning_z": 0.0,
    "retention_cold_multiple": 1.0,
    "retention_lost_probability": 0.0,
    "retention_lost_cap_days": 1,
    "retention_shrinkage_kappa": 0.0,
    # --- the retention queue: stopping rules and call-backs ---
    "retention_max_unanswered": 1,
    "retention_stop_after_days": 0,
    "retention_call_again_max_days": 1,
    # --- call verification ---
    "retention_min_call_seconds": 0,
    "retention_winback_min_amount": 0.0,
}
# The numeric settings of the whole database (quotation hygiene): settings field -> (ir.config_parameter key, type,
# default, minimum). Stored as text by get/set_values below rather than with `config_parameter=`, because an Integer
# config_parameter set to 0 is deleted and reads back as its default.
DATABASE_PARAMS = {
    "retention_duplicate_window_days": ("order_retention.duplicate_window_days", int, 30, 1),
}


def retention_param(env, field_name, company=None):
    """Value of one numeric retention setting: ``company``'s own (default: the environment's current company) for
    the settings of a company (COMPANY_PARAMS), the database's for the others (DATABASE_PARAMS, falling back to the
    default when the stored text is missing or unreadable)."""
    if field_name in COMPANY_PARAMS:
        return (company or env.company).sudo()[field_name]
    key, cast, default, _minimum = DATABASE_PARAMS[field_name]
    raw = env["ir.config_parameter"].sudo().get_param(key)
    if raw in (None, False, ""):
        return default
    try:
        return cast(float(raw)) if cast is int else cast(raw)
    except ValueError:
        return default


def check_retention_param(env, field_name, value):
    """Raise a ValidationError naming the setting when ``value`` is below its minimum (or, for the lost probability,
    above 1): the one check of Settings and of a company's settings written any other way."""
    if field_name in COMPANY_PARAMS:
        minimum, model = COMPANY_PARAMS[field_name], env["res.company"]
    else:
        minimum, model = DATABASE_PARAMS[field_name][3], env["res.config.settings"]
    label = model._fields[field_name].get_description(env, ["string"])["string"]
    if value < minimum:
        raise ValidationError(
            env._(
                "%(setting)s cannot be lower than %(minimum)s (it is %(value)s).",
                setting=label,
                minimum=minimum,
                value=value,
            )
        )
    if field_name == "retention_lost_probability" and value > 1:
        raise ValidationError(env._("The lost probability threshold is a probability: enter a value between 0 and 1."))


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # --- retention cycle ---
    retention_warm_interval_days = fields.Integer(related="company_id.retention_warm_interval_days", readonly=False)
    retention_cold_interval_days = fields.Integer(related="company_id.retention_cold_interval_days", readonly=False)
    retention_lost_interval_days = fields.Integer(related="company_id.retention_lost_interval_days", readonly=False)
    retention_warning_z = fields.Float(related="company_id.retention_warning_z", readonly=False)
    retention_cold_multiple = fields.Float(related="company_id.retention_cold_multiple", readonly=False)
    retention_lost_probability = fields.Float(related="company_id.retention_lost_probability", readonly=False)
    retention_lost_cap_days = fields.Integer(related="company_id.retention_lost_cap_days", readonly=False)
    retention_shrinkage_kappa = fields.Float(related="company_id.retention_shrinkage_kappa", readonly=False)
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
    retention_max_unanswered = fields.Integer(related="company_id.retention_max_unanswered", readonly=False)
    retention_stop_after_days = fields.Integer(related="company_id.retention_stop_after_days", readonly=False)
    retention_call_again_max_days = fields.Integer(related="company_id.retention_call_again_max_days", readonly=False)
    # --- call verification ---
    retention_min_call_seconds = fields.Integer(related="company_id.retention_min_call_seconds", readonly=False)
    retention_winback_min_amount = fields.Float(related="company_id.retention_winback_min_amount", readonly=False)
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
        res.update({fname: retention_param(self.env, fname) for fname in DATABASE_PARAMS})
        res["retention_cancel_reason_required"] = retention_cancel_reason_required(self.env)
        return res

    def set_values(self):
        res = super().set_values()
        icp = self.env["ir.config_parameter"].sudo()
        for fname in DATABASE_PARAMS:
            icp.set_param(DATABASE_PARAMS[fname][0], str(self[fname]))
        icp.set_param(CANCEL_REASON_REQUIRED_KEY, str(bool(self.retention_cancel_reason_required)))
        return res

    @api.constrains(*DATABASE_PARAMS)
    def _check_retention_params(self):
        # the company's settings are checked by the company (res.company), whoever writes them
        for settings in self:
            for fname in DATABASE_PARAMS:
                check_retention_param(self.env, fname, settings[fname])

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

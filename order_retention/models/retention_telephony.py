import hashlib
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import telephony
from . import retention_policy as policy
from .retention_policy import PBX_TOKEN_GROUPS


class RetentionTelephony(models.Model):
    """One provider's intake of call records for one company: on or off, its credential (a token Odoo
    generates, or the provider's own secret for signed requests) and the URL to give the provider.

    Main API: ``_retention_for_token(provider, token)`` and ``_retention_signed_candidates(provider)`` find
    the configuration a request authenticates with (the controller decides which one applies, see
    tools/telephony); ``_retention_ensure(company)`` creates the rows of every provider."""

    _name = "retention.telephony"
    _description = "Telephony Provider"
    _order = "sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    provider = fields.Selection(telephony.SELECTION, required=True, readonly=True)
    enabled = fields.Boolean(help="Off: this provider's requests are refused (403) and nothing is stored.")
    auth = fields.Selection(
        [("token", "Token"), ("signature", "Signature")],
        string="Authentication",
        compute="_compute_auth",
        help="Token: Odoo generates it, the provider sends it. Signature: the provider signs each request with your "
        "account's secret, entered here.",
    )
    intake_url = fields.Char(string="URL", compute="_compute_intake_url", help="The URL to give the provider.")
    setup = fields.Text(string="Set-up", compute="_compute_auth")
    # a token: only its hash is stored, the clear token is shown once
    token_hash = fields.Char(groups="base.group_system", copy=False, index="btree_not_null")
    token_hint = fields.Char(string="Token", readonly=True, copy=False, groups=PBX_TOKEN_GROUPS)
    token_date = fields.Datetime(string="Token Created", readonly=True, copy=False, groups=PBX_TOKEN_GROUPS)
    # a secret of the provider (Twilio's Auth Token, Zadarma's API secret): needed in clear to check signatures,
    # readable by administrators only, written through secret_input and never shown back
    secret = fields.Char(
        string="Stored Secret",
        groups="base.group_system",
        copy=False,
        help="The provider's secret the signatures are checked with (administrators only; never shown).",
    )
    secret_hint = fields.Char(
        string="Secret",
        readonly=True,
        copy=False,
        groups=PBX_TOKEN_GROUPS,
        help="The last characters of the secret entered, to tell which one is in use.",
    )
    secret_input = fields.Char(
        string="New Secret",
        compute="_compute_secret_input",
        inverse="_inverse_secret_input",
        groups=PBX_TOKEN_GROUPS,
        help="Twilio: the account's Auth Token; Zadarma: the API secret. Stored for the signature checks, never "
        "shown again.",
    )
    account_sid = fields.Char(
        string="Twilio Account SID",
        help="Twilio only, optional: requests of another account are refused even when signed.",
    )
    tz = fields.Selection(
        _tz_get,
        string="Time Zone of the Provider",
        default=lambda self: self.env.user.tz or "UTC",
        help="How to read the provider's times that carry no offset (Asterisk's CDR start, Zadarma's call_start, "
        "Ringostat's call date): the PBX's or the account's time zone.",
    )
    call_count = fields.Integer(string="Calls", compute="_compute_calls")
    last_call = fields.Datetime(string="Last Call Received", compute="_compute_calls")

    _sql_constraints = [
        ("provider_company_uniq", "unique(company_id, provider)", "A provider is configured once per company."),
    ]

    def write(self, vals):
        if {"provider", "company_id"} & set(vals) and not policy.is_system(self.env):
            raise UserError(_("A telephony provider row stays with its provider and company."))
        return super().write(vals)

    @api.depends("provider")
    def _compute_auth(self):
        for config in self:
            kind = telephony.PROVIDERS[config.provider].auth if config.provider else False
            config.auth = kind and ("token" if kind == telephony.AUTH_TOKEN else "signature")
            config.setup = config.provider and self._setup_texts()[config.provider]

    def _setup_texts(self):
        """What an administrator does in the provider's console, in the reader's language."""
        return {
            "asterisk": self.env._(
                "Generate a token, then add the hangup handler of the README (Telephony, Asterisk / FreePBX) to the "
                "dialplan with this URL and the token."
            ),
            "3cx": self.env._(
                "Generate a token, download the template /order_retention/static/telephony/3cx_odoo_retention.xml "
                "from this server, upload it in 3CX (Admin, Integrations, CRM, Add), then enter this URL and the "
                "token in its fields."
            ),
            "twilio": self.env._(
                "Enter the Auth Token of your Twilio account (Console, Account, API keys and tokens), then set this "
                "URL as the status callback (call completed) of your numbers, TwiML apps or Dial verbs."
            ),
            "zadarma": self.env._(
                "Enter the API secret of your Zadarma account (Settings, Integrations and API, Keys), then paste this "
                "URL in the PBX call notifications with NOTIFY_END and NOTIFY_OUT_END on."
            ),
            "binotel": self.env._(
                "Generate a token, then send Binotel's support this URL followed by ?token= and the token, for the "
                "apiCallCompleted webhook."
            ),
            "ringostat": self.env._(
                "Generate a token, then create two Webhooks 2.0 (After call; After outgoing call, with "
                "&direction=out) posting the parameters of the README to this URL followed by ?token= and the token."
            ),
        }

    @api.depends("provider")
    def _compute_intake_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
        for config in self:
            config.intake_url = config.provider and "%s/order_retention/calls/%s" % (base, config.provider)

    def _compute_secret_input(self):
        self.secret_input = False

    def _inverse_secret_input(self):
        policy.check_manager(self.env, _("Only sales managers can set a telephony secret."))
        for config in self.filtered("secret_input"):
            secret = config.secret_input.strip()
            if len(secret) < 8 or len(secret) > 256:
                raise UserError(_("The secret is 8 to 256 characters long: paste it from the provider's console."))
            config.sudo().write({"secret": secret, "secret_hint": "…" + secret[-4:]})

    def _compute_calls(self):
        groups = (
            self.env["retention.call"]
            .sudo()
            ._read_group(
                [("source", "in", self.mapped("provider")), ("company_id", "in", self.company_id.ids)],
                ["source", "company_id"],
                ["__count", "start:max"],
            )
        )
        stats = {(source, company.id): (count, last) for source, company, count, last in groups}
        for config in self:
            config.call_count, config.last_call = stats.get((config.provider, config.company_id.id), (0, False))

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def action_retention_generate_token(self):
        """A new token for this provider (the previous one stops working), shown once."""
        self.ensure_one()
        policy.check_manager(self.env, _("Only sales managers can manage telephony tokens."))
        if self.auth != "token":
            raise UserError(
                _(
                    "%(provider)s signs its requests with your account's secret: enter it instead.",
                    provider=self._provider_label(),
                )
            )
        token = secrets.token_urlsafe(32)
        self.sudo().write(
            {
                "token_hash": self._hash(token),
                "token_hint": "…" + token[-4:],
                "token_date": fields.Datetime.now(),
                "enabled": True,
            }
        )
        in_url = self.provider in ("binotel", "ringostat")
        return {
            "type": "ir.actions.client",
            "tag": "order_retention.pbx_token_dialog",
            "target": "new",
            "name": _(
                "New %(provider)s token for %(company)s", provider=self._provider_label(), company=self.company_id.name
            ),
            "params": {
                "token": token,
                "endpoint": self.intake_url,
                "url": "%s?token=%s" % (self.intake_url, token) if in_url else "",
            },
        }

    def action_retention_revoke(self):
        """Revoke this provider's token and secret: its requests are refused until a new one is set."""
        policy.check_manager(self.env, _("Only sales managers can manage telephony tokens."))
        self.sudo().write(
            {"token_hash": False, "token_hint": False, "token_date": False, "secret": False, "secret_hint": False}
        )
        return True

    @api.model
    def action_retention_open(self):
        """The current company's providers (a row each, created off on first use), to turn on and set up: from
        Settings and from Sales > Configuration > Telephony Providers (sales managers and administrators)."""
        policy.check_manager(self.env, _("Only sales managers can set up the telephony."))
        configs = self._retention_ensure(self.env.company)
        action = self.env["ir.actions.act_window"]._for_xml_id("order_retention.retention_telephony_action")
        action["domain"] = [("id", "in", configs.ids)]
        return action

    def action_retention_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("order_retention.retention_call_action")
        action["domain"] = [("source", "=", self.provider), ("company_id", "=", self.company_id.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def _provider_label(self):
        return dict(self._fields["provider"]._description_selection(self.env)).get(self.provider, self.provider)

    @staticmethod
    def _hash(token):
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    @api.model
    def _retention_ensure(self, company):
        """This company's row of every provider (created off when missing)."""
        existing = self.sudo().search([("company_id", "=", company.id)]).mapped("provider")
        missing = [key for key in telephony.PROVIDERS if key not in existing]
        if missing:
            self.sudo().create(
                [
                    {"company_id": company.id, "provider": key, "sequence": n, "enabled": False}
                    for n, key in enumerate(telephony.PROVIDERS)
                    if key in missing
                ]
            )
        return self.search([("company_id", "=", company.id)])

    @api.model
    def _retention_for_token(self, provider, token):
        """The configuration of ``provider`` whose token is ``token`` (enabled or not), or an empty recordset."""
        if not token or len(token) > 256:
            return self.sudo().browse()
        return self.sudo().search([("provider", "=", provider), ("token_hash", "=", self._hash(token))], limit=1)

    @api.model
    def _retention_signed_candidates(self, provider):
        """The configurations of ``provider`` with a secret, enabled ones first: a signed request is checked
        against each secret in turn."""
        configs = self.sudo().search([("provider", "=", provider), ("secret", "!=", False)])
        return configs.sorted(lambda c: not c.enabled)

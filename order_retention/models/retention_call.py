import contextvars
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import call_verification as cv

_logger = logging.getLogger(__name__)
# Set only by _retention_ingest (server code, after the PBX token or the import was checked): calls
# created outside it are manual and unverified. A ContextVar, because env-context keys can be
# injected by any RPC caller.
_INGESTING = contextvars.ContextVar("order_retention_ingesting", default=False)
SUFFIX = 8  # digits compared in SQL to find candidate partners, before the exact E.164 comparison


class RetentionCall(models.Model):
    """A phone call with a customer, from the PBX (HTTP endpoint), a CSV export or typed by hand.

    Main API: ``_retention_ingest(rows, source, company)`` validates and creates calls (shared by
    the endpoint and the CSV import), ``_retention_match()`` links calls to customers by number,
    ``_retention_verified_for(activities)`` is used by mail.activity to close follow-ups."""

    _name = "retention.call"
    _description = "Customer Call"
    _inherit = ["mail.thread"]
    _order = "start desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one("res.partner", string="Contact", index=True, tracking=True, check_company=True)
    commercial_partner_id = fields.Many2one(
        "res.partner", string="Customer", related="partner_id.commercial_partner_id", store=True, index=True)
    phone_number = fields.Char(string="Number", required=True)
    phone_e164 = fields.Char(string="E.164 Number", index=True, readonly=True)
    direction = fields.Selection([("inbound", "Inbound"), ("outbound", "Outbound")], required=True, default="outbound")
    start = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    duration_seconds = fields.Integer(string="Duration (s)", tracking=True, aggregator="sum")
    user_id = fields.Many2one("res.users", string="Agent", default=lambda self: self.env.user, index=True)
    source = fields.Selection([("pbx", "PBX API"), ("csv", "CSV Import"), ("manual", "Manual")],
                              required=True, default="manual", readonly=True)
    external_id = fields.Char(string="PBX Call ID", readonly=True, copy=False)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    verified = fields.Boolean(
        compute="_compute_verified", store=True,
        help="Calls reported by the telephony (PBX API, CSV export) are verified; calls typed by hand never are.")
    match_state = fields.Selection(
        [("matched", "Matched"), ("unmatched", "Unmatched"), ("ambiguous", "Ambiguous"), ("invalid", "Invalid Number")],
        default="unmatched", readonly=True, index=True)
    activity_id = fields.Many2one("mail.activity", string="Verified Activity", readonly=True, ondelete="set null", copy=False)
    activity_summary = fields.Char(readonly=True, copy=False)
    activity_done_date = fields.Date(readonly=True, copy=False)
    note = fields.Text()

    _sql_constraints = [
        ("external_id_uniq", "unique(company_id, source, external_id)",
         "This PBX call ID was already imported for this company and source."),
        ("duration_positive", "CHECK(duration_seconds >= 0)", "A call cannot last less than 0 seconds."),
    ]

    @api.depends("partner_id", "phone_number", "start")
    def _compute_name(self):
        for call in self:
            call.name = "%s %s" % (call.partner_id.display_name or call.phone_number or "", fields.Datetime.to_string(call.start) or "")

    @api.depends("source")
    def _compute_verified(self):
        for call in self:
            call.verified = call.source in ("pbx", "csv")

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        trusted = _INGESTING.get()
        for vals in vals_list:
            if not trusted:
                vals["source"] = "manual"  # only the telephony creates verified calls
                vals.pop("external_id", None)
                vals.pop("activity_id", None)
        calls = super().create(vals_list)
        calls._retention_match()
        return calls

    def write(self, vals):
        if "phone_number" in vals:
            res = super().write(vals)
            self._retention_match()
            return res
        return super().write(vals)

    # ------------------------------------------------------------------
    # MATCHING
    # ------------------------------------------------------------------

    def _retention_normalise(self, number, company):
        """E.164 of a raw number in the company's country, or False."""
        return self.env["res.partner"]._phone_format(
            number=cv.strip_extension(number), country=company.country_id, force_format="E164") or False

    def _retention_match(self):
        """Normalise every call's number and link it to the one customer owning that number (any
        phone/mobile of the customer or its contacts). Ambiguous and invalid numbers stay unmatched."""
        # sudo: normalised number and match are technical fields, kept right whoever logged the call
        self = self.sudo()  # noqa: PLW0642
        for call in self:
            call.phone_e164 = call._retention_normalise(call.phone_number, call.company_id)
        numbers = {call.phone_e164 for call in self if call.phone_e164}
        owners = self._retention_owners(numbers)
        for call in self:
            if not call.phone_e164:
                call.write({"match_state": "invalid", "partner_id": call.partner_id.id if call.source == "manual" else False})
                continue
            candidates = owners.get(call.phone_e164, {})
            commercial = {p.commercial_partner_id for p in candidates}
            if call.partner_id and call.source == "manual":
                call.match_state = "matched"
            elif len(commercial) == 1:
                call.write({"partner_id": next(iter(candidates)).id, "match_state": "matched"})
            else:
                call.write({"partner_id": False, "match_state": "ambiguous" if commercial else "unmatched"})

    @api.model
    def _retention_owners(self, numbers):
        """{e164: partners having it as phone or mobile}, found with one SQL query on the last digits."""
        if not numbers:
            return {}
        suffixes = list({n[-SUFFIX:] for n in numbers})
        self.env["res.partner"].flush_model(["phone", "mobile"])
        rows = self.env.execute_query(SQL(
            """
            SELECT id FROM res_partner
             WHERE active AND (right(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), %(n)s) = ANY(%(s)s)
                OR right(regexp_replace(coalesce(mobile, ''), '[^0-9]', '', 'g'), %(n)s) = ANY(%(s)s))
            """,
            n=SUFFIX, s=suffixes,
        ))
        owners = {}
        company = self.env.company
        for partner in self.env["res.partner"].sudo().browse([r[0] for r in rows]):
            for raw in (partner.phone, partner.mobile):
                if not raw:
                    continue
                e164 = partner._phone_format(number=cv.strip_extension(raw), country=partner.country_id or company.country_id,
                                             force_format="E164")
                if e164 in numbers:
                    owners.setdefault(e164, self.env["res.partner"])
                    owners[e164] |= partner.with_env(self.env)
        return owners

    def action_rematch(self):
        """Match these calls again (e.g. after a customer's number was added)."""
        self._retention_match()
        return True

    @api.model
    def _retention_rematch_numbers(self, partners):
        """Re-match unmatched calls whose number now belongs to one of ``partners``."""
        numbers = set()
        for partner in partners:
            for raw in (partner.phone, partner.mobile):
                if raw:
                    e164 = partner._phone_format(number=cv.strip_extension(raw), force_format="E164")
                    if e164:
                        numbers.add(e164)
        if numbers:
            self.sudo().search([("match_state", "in", ("unmatched", "ambiguous")), ("phone_e164", "in", list(numbers))])._retention_match()

    # ------------------------------------------------------------------
    # INGESTION (PBX endpoint and CSV import)
    # ------------------------------------------------------------------

    @api.model
    def _retention_parse_row(self, row):
        """Validated vals of one input row (dict with call_id, number, direction, start, duration,
        user_login); raises ValueError with the reason."""
        if not isinstance(row, dict):
            raise ValueError(_("a call must be a JSON object"))
        call_id = str(row.get("call_id") or "").strip()
        if not call_id or len(call_id) > 128:
            raise ValueError(_("call_id is missing or longer than 128 characters"))
        number = str(row.get("number") or "").strip()
        if not number or len(number) > 64:
            raise ValueError(_("number is missing or longer than 64 characters"))
        vals = {
            "external_id": call_id,
            "phone_number": number,
            "direction": cv.parse_direction(row.get("direction")),
            "start": cv.parse_start(row.get("start")),
            "duration_seconds": cv.parse_duration(row.get("duration")),
        }
        login = str(row.get("user_login") or "").strip()
        if login:
            user = self.env["res.users"].sudo().search([("login", "=", login)], limit=1)
            if not user:
                raise ValueError(_("user_login %(login)s is not an Odoo user", login=login))
            vals["user_id"] = user.id
        else:
            vals["user_id"] = False
        return vals

    @api.model
    def _retention_ingest(self, rows, source, company, dry_run=False):
        """Validate and create calls from telephony rows: ``rows`` is a list of (label, dict) where
        the label names the row in errors (index or line number). Good rows are created even when
        others are rejected; a call id already known (or repeated) counts as duplicate.
        Returns {"created": n, "duplicate": n, "rejected": n, "errors": [{"row", "call_id", "reason"}]}."""
        Call = self.sudo().with_company(company)  # telephony input: the caller was authenticated by token or is a manager
        existing = set(Call.with_context(active_test=False).search([
            ("company_id", "=", company.id), ("source", "=", source),
            ("external_id", "in", [str(r.get("call_id") or "").strip() for _l, r in rows if isinstance(r, dict)]),
        ]).mapped("external_id"))
        vals_list, errors, duplicates = [], [], 0
        for label, row in rows:
            try:
                vals = Call._retention_parse_row(row)
            except ValueError as exc:
                errors.append({"row": label, "call_id": row.get("call_id") if isinstance(row, dict) else None, "reason": str(exc)})
                continue
            if vals["external_id"] in existing:
                duplicates += 1
                continue
            existing.add(vals["external_id"])
            vals.update(source=source, company_id=company.id)
            vals_list.append(vals)
        if vals_list and not dry_run:
            token = _INGESTING.set(True)
            try:
                Call.create(vals_list)
            finally:
                _INGESTING.reset(token)
        return {"created": len(vals_list), "duplicate": duplicates, "rejected": len(errors), "errors": errors}

    # ------------------------------------------------------------------
    # VERIFICATION
    # ------------------------------------------------------------------

    @api.model
    def _retention_candidates(self, activities):
        """{commercial partner id: [call dicts]} for the customers of ``activities``."""
        partner_ids = {a.res_id for a in activities}
        partners = self.env["res.partner"].sudo().browse(partner_ids)
        commercial_ids = partners.commercial_partner_id.ids
        calls = self.sudo().search_fetch(
            [("commercial_partner_id", "in", commercial_ids)],
            ["commercial_partner_id", "start", "duration_seconds", "verified", "activity_id", "company_id"],
        )
        result = {}
        for call in calls:
            result.setdefault(call.commercial_partner_id.id, []).append({
                "id": call.id, "start": call.start, "duration": call.duration_seconds,
                "verified": call.verified, "used": bool(call.activity_id), "record": call,
                "company_id": call.company_id.id,
            })
        return result



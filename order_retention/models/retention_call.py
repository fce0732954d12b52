import contextvars
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools import call_verification as cv
from ..tools import telephony
from . import retention_policy as policy
from .retention_text import datetime_text

_logger = logging.getLogger(__name__)
# Set only by _retention_ingest (server code, after the PBX token or the import was checked): calls
# created outside it are manual and unverified. A ContextVar, because env-context keys can be
# injected by any RPC caller.
_INGESTING = contextvars.ContextVar("order_retention_ingesting", default=False)
SUFFIX = 8  # digits compared in SQL to find candidate partners, before the exact E.164 comparison
# Written only by the system: the telephony's facts, the match and the consumption of a call.
SYSTEM_FIELDS = (
    "source",
    "external_id",
    "verified",
    "phone_e164",
    "match_state",
    "commercial_partner_id",
    "activity_id",
    "activity_summary",
    "activity_done_date",
    "consumed_date",
    "consumed_activity_ref",
    "outcome",
    "churn_reason_id",
    "next_step",
    "next_call_date",
    "status_at_call",
    "outcome_user_id",
    "number_since",
    "answered",
    "agent_ref",
)
OUTCOMES = [
    ("not_recorded", "Not recorded"),
    ("reached", "Reached"),
    ("no_answer", "No answer"),
    ("wrong_number", "Wrong number"),
]
NEXT_STEPS = [
    ("expects_order", "Expects to order"),
    ("quotation", "Quotation requested"),
    ("call_again", "Call again on a date"),
    ("lost_for_good", "Lost for good"),
]
TELEPHONY_FACTS = ("phone_number", "start", "duration_seconds", "direction", "company_id", "partner_id", "user_id")
# where a call came from: the generic PBX API, a CSV export, typed by hand, or a provider's own intake
SOURCES = [("pbx", "PBX API"), ("csv", "CSV Import"), ("manual", "Manual")] + telephony.SELECTION
MAX_ROWS = 5000  # calls per PBX request or CSV file
AGENT_HINTS = ("extension", "email")  # what a provider may name the agent of a call by
INTAKE_LOCK_KEY = 0x0CA11  # with the company id: serialises the intake of one company's calls


def agent_ref(hints):
    """The stored text of a call's agent hints ("extension=101, email=ann@example.com"); see agent_hints."""
    return ", ".join("%s=%s" % (key, hints[key]) for key in AGENT_HINTS if hints.get(key))[:256]


def agent_hints(ref):
    """The agent hints stored by agent_ref."""
    pairs = (part.split("=", 1) for part in (ref or "").split(", ") if "=" in part)
    return {key: value for key, value in pairs if key in AGENT_HINTS}


class RetentionCall(models.Model):
    """A phone call with a customer, from the PBX (HTTP endpoint), a CSV export or typed by hand.

    Main API: ``_retention_ingest(rows, source, company)`` validates and creates calls (shared by
    the endpoint and the CSV import), ``_retention_match()`` links calls to customers by number,
    ``_retention_candidates(activities)`` and ``_retention_consume(activity)`` are used by
    mail.activity to close follow-ups. The telephony's facts, the match and the consumption are
    written by the system only (see SYSTEM_FIELDS)."""

    _name = "retention.call"
    _description = "Customer Call"
    _inherit = ["mail.thread"]
    _order = "start desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one("res.partner", string="Contact", index=True, tracking=True, check_company=True)
    commercial_partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        readonly=True,
        index=True,
        help="The customer the call was matched to when it was logged. Moving the contact to another company "
        "later does not move the call.",
    )
    phone_number = fields.Char(string="Number", required=True)
    phone_e164 = fields.Char(string="E.164 Number", index=True, readonly=True)
    direction = fields.Selection([("inbound", "Inbound"), ("outbound", "Outbound")], required=True, default="outbound")
    start = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    duration_seconds = fields.Integer(string="Duration (s)", tracking=True, aggregator="sum")
    user_id = fields.Many2one("res.users", string="Agent", default=lambda self: self.env.user, index=True)
    source = fields.Selection(
        SOURCES,
        required=True,
        default="manual",
        readonly=True,
    )
    external_id = fields.Char(string="PBX Call ID", readonly=True, copy=False)
    answered = fields.Boolean(
        default=True,
        readonly=True,
        help="The telephony reported the call as answered. An unanswered call (no answer, busy, cancelled) is kept "
        "as an attempt but never verifies a retention call; its length is 0 s.",
    )
    agent_ref = fields.Char(
        string="Telephony Agent",
        readonly=True,
        copy=False,
        help="Who made or took the call as the telephony names them (extension, SIP user, identity or e-mail). "
        "Until it matches one Odoo user (Telephony Extension, login or e-mail), the call verifies retention calls "
        "only for sales managers.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    verified = fields.Boolean(
        compute="_compute_verified",
        store=True,
        help="Calls reported by the telephony (PBX API, CSV export) are verified; calls typed by hand never are.",
    )
    match_state = fields.Selection(
        [
            ("matched", "Matched"),
            ("late", "Matched After a Number Change"),
            ("unmatched", "Unmatched"),
            ("ambiguous", "Ambiguous"),
            ("invalid", "Invalid Number"),
        ],
        default="unmatched",
        readonly=True,
        index=True,
        help="Matched: the number belonged to this customer when the call was logged. Matched after a number "
        "change: the customer got this number only after the call, so the call does not verify a retention call "
        "until a sales manager confirms the match.",
    )
    number_since = fields.Datetime(
        string="Number Known Since",
        readonly=True,
        copy=False,
        help="Since when the matched contact has this number (its creation or its last number change). The call "
        "closes only retention calls created after that moment, unless a sales manager confirmed the match.",
    )
    number_recent = fields.Boolean(
        compute="_compute_number_recent",
        help="Matched late, or through a number the customer got less than 30 days before the call.",
    )
    activity_id = fields.Many2one(
        "mail.activity", string="Verified Activity", readonly=True, ondelete="set null", copy=False
    )
    activity_summary = fields.Char(readonly=True, copy=False)
    activity_done_date = fields.Date(readonly=True, copy=False)
    consumed_date = fields.Datetime(
        string="Used On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When this call verified a retention call. A call verifies one retention call, once and forever, "
        "even if that activity is later changed or deleted.",
    )
    consumed_activity_ref = fields.Char(string="Used For", readonly=True, copy=False)
    # --- what the call found out (recorded when it closes a retention call through the outcome dialog) ---
    outcome = fields.Selection(
        OUTCOMES,
        default="not_recorded",
        readonly=True,
        copy=False,
        index=True,
        help="What happened on the call that closed a retention call. Not recorded: it was "
        "closed without the outcome dialog (e.g. by the telephony or over the API).",
    )
    churn_reason_id = fields.Many2one(
        "retention.churn.reason",
        string="Why Not Ordering",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The reason the customer gave for not ordering.",
    )
    next_step = fields.Selection(
        NEXT_STEPS, readonly=True, copy=False, help="What was agreed with the customer on this call."
    )
    next_call_date = fields.Date(string="Call Again On", readonly=True, copy=False)
    status_at_call = fields.Selection(
        [("active", "Active"), ("warm", "Warm"), ("cold", "Cold"), ("lost", "Lost")],
        string="Customer Status at Call",
        readonly=True,
        copy=False,
        help="The customer's retention status when this call closed the retention call.",
    )
    outcome_user_id = fields.Many2one("res.users", string="Outcome Recorded By", readonly=True, copy=False)
    note = fields.Text()

    _sql_constraints = [
        (
            "external_id_uniq",
            "unique(company_id, source, external_id)",
            "This PBX call ID was already imported for this company and source.",
        ),
        (
            "duration_positive",
            "CHECK(duration_seconds >= 0 AND duration_seconds <= 86400)",
            "A call lasts between 0 and 86,400 seconds.",
        ),
    ]

    @api.depends("partner_id", "phone_number", "start")
    def _compute_name(self):
        for call in self:
            call.name = "%s %s" % (
                call.partner_id.display_name or call.phone_number or "",
                fields.Datetime.to_string(call.start) or "",
            )

    @api.depends("partner_id", "phone_number", "start")
    @api.depends_context("lang", "tz")
    def _compute_display_name(self):
        """As the reader reads it: "Lapsed Hardware Store 12/04/2026 14:30:05" in their date format and timezone
        (the stored name, searched by, keeps the UTC timestamp)."""
        for call in self:
            call.display_name = " ".join(
                part
                for part in (
                    call.partner_id.display_name or call.phone_number or "",
                    datetime_text(self.env, call.start),
                )
                if part
            )

    @api.depends("match_state", "number_since", "start")
    def _compute_number_recent(self):
        for call in self:
            call.number_recent = call.match_state == "late" or bool(
                call.number_since and call.start and call.number_since > call.start - timedelta(days=30)
            )

    @api.depends("source")
    def _compute_verified(self):
        for call in self:
            call.verified = call.source != "manual"

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        trusted = _INGESTING.get()
        for vals in vals_list:
            if not trusted:
                # only the telephony creates verified calls, and the system alone matches and consumes
                for fname in SYSTEM_FIELDS:
                    vals.pop(fname, None)
                vals["source"] = "manual"
        calls = super().create(vals_list)
        if not trusted:  # the intake matched its rows already
            calls._retention_match()
        return calls

    def write(self, vals):
        if not policy.is_system(self.env):
            forbidden = [f for f in SYSTEM_FIELDS if f in vals]
            if forbidden or (set(TELEPHONY_FACTS) & set(vals) and self.filtered(lambda c: c.source != "manual")):
                raise AccessError(
                    _(
                        "The telephony's records of a call (number, start, duration, match, use) cannot be changed; "
                        "only notes can be added. Manually logged calls can be edited."
                    )
                )
        res = super().write(vals)
        if {"phone_number", "partner_id"} & set(vals):
            self._retention_match()
        return res

    # ------------------------------------------------------------------
    # MATCHING
    # ------------------------------------------------------------------

    def _retention_e164(self, number, country):
        """E.164 of a raw number (extension stripped) read in ``country``, or False (never raises: a number
        phonenumbers cannot handle is simply invalid, and owns nothing)."""
        try:
            return (
                self.env["res.partner"]._phone_format(
                    number=cv.strip_extension(number), country=country, force_format="E164"
                )
                or False
            )
        except Exception:  # noqa: BLE001
            return False

    def _retention_match(self, late=False):
        """Normalise every call's number and link it to the one customer of the call's company owning
        that number (any phone/mobile of the customer or its contacts). Ambiguous and invalid numbers
        stay unmatched. With ``late``, a call that gets a customer it did not have is flagged
        *matched after a number change* (it does not verify until a manager confirms it)."""
        # sudo: normalised number and match are technical fields, kept right whoever logged the call
        calls = self.sudo()
        with policy.retention_system():
            for call in calls:
                call.phone_e164 = call._retention_e164(call.phone_number, call.company_id.country_id)
            owners = calls._retention_owners({call.phone_e164 for call in calls if call.phone_e164})
            for call in calls:
                call.write(call._retention_match_vals(owners, late=late))

    def _retention_match_vals(self, owners, late=False):
        """Values of the match of this call given ``owners`` ({e164: partners})."""
        self.ensure_one()
        if self.source == "manual":
            partner = self.partner_id
            return {
                "commercial_partner_id": partner.commercial_partner_id.id,
                "match_state": "matched" if partner else ("invalid" if not self.phone_e164 else "unmatched"),
            }
        if not self.phone_e164:
            return {"partner_id": False, "commercial_partner_id": False, "match_state": "invalid"}
        partners = self._retention_visible_owners(owners.get(self.phone_e164), self.company_id)
        commercial = partners.commercial_partner_id
        if len(commercial) != 1:
            return {
                "partner_id": False,
                "commercial_partner_id": False,
                "match_state": "ambiguous" if commercial else "unmatched",
            }
        partner = partners[:1]
        if partner.commercial_partner_id == self.commercial_partner_id and self.match_state in ("matched", "late"):
            return {}  # unchanged: a confirmed (or pending) match stays as it is
        changed_after = any(p.retention_phone_changed and p.retention_phone_changed > self.start for p in partners)
        since = max(p.retention_phone_changed or p.create_date for p in partners)
        return {
            "partner_id": partner.id,
            "commercial_partner_id": commercial.id,
            "number_since": since,
            "match_state": "late" if late or changed_after else "matched",
        }

    @api.model
    def _retention_visible_owners(self, partners, company):
        """The owners of a number that belong to ``company`` or to no company."""
        partners = partners or self.env["res.partner"]
        return partners.filtered(lambda p: not p.company_id or p.company_id == company)

    @api.model
    def _retention_owners(self, numbers):
        """{e164: partners having it as phone or mobile}, found with one SQL query on the last digits."""
        if not numbers:
            return {}
        suffixes = list({n[-SUFFIX:] for n in numbers})
        self.env["res.partner"].flush_model(["phone", "mobile"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT id FROM res_partner
             WHERE active AND (right(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), %(n)s) = ANY(%(s)s)
                OR right(regexp_replace(coalesce(mobile, ''), '[^0-9]', '', 'g'), %(n)s) = ANY(%(s)s))
            """,
                n=SUFFIX,
                s=suffixes,
            )
        )
        owners = {}
        company = self.env.company
        Partner = self.env["res.partner"].sudo()
        for partner in Partner.browse([r[0] for r in rows]):
            for raw in (partner.phone, partner.mobile):
                if not raw:
                    continue
                e164 = self._retention_e164(raw, partner.country_id or company.country_id)
                if e164 in numbers:
                    owners[e164] = owners.get(e164, Partner) | partner
        return owners

    @api.model
    def _retention_link_agents(self, companies):
        """Give the calls of ``companies`` whose telephony agent matched no user the user it names now (after an
        extension, login or e-mail was set): one match per distinct agent and company (system only)."""
        calls = self.sudo().search(
            [("user_id", "=", False), ("agent_ref", "!=", False), ("company_id", "in", companies.ids)]
        )
        groups = {}
        for call in calls:
            groups.setdefault((call.company_id, call.agent_ref), self.sudo().browse())
            groups[(call.company_id, call.agent_ref)] |= call
        Users = self.env["res.users"]
        with policy.retention_system():
            for (company, ref), group in groups.items():
                user = Users._retention_agent_user(agent_hints(ref), company)
                if user:
                    group.write({"user_id": user.id})

    def action_rematch(self):
        """Match these calls again (sales managers). A call that gets a customer this way was matched
        after the fact: it does not verify a retention call until a manager confirms the match."""
        policy.check_manager(self.env, _("Only a sales manager can re-match calls."))
        self.check_access("read")
        self._retention_match(late=True)
        return True

    def action_confirm_match(self):
        """Confirm calls matched after a number change, or through a number added to the customer
        recently (sales managers): they count again."""
        policy.check_manager(self.env, _("Only a sales manager can confirm a late match."))
        self.check_access("read")
        late = self.filtered(lambda c: c.match_state == "late" or c.number_since)
        with policy.retention_system():
            late.sudo().write({"match_state": "matched", "number_since": False})
        for call in late:
            call.message_post(
                body=_(
                    "Match with %(customer)s confirmed by %(user)s.",
                    customer=call.commercial_partner_id.display_name,
                    user=self.env.user.name,
                )
            )
        return True

    @api.model
    def _retention_rematch_numbers(self, partners):
        """Re-match unmatched calls whose number now belongs to one of ``partners``: such matches come
        after the call, so they are flagged late."""
        numbers = set()
        for partner in partners.sudo():
            for raw in (partner.phone, partner.mobile):
                if raw:
                    e164 = self._retention_e164(raw, partner.country_id or self.env.company.country_id)
                    if e164:
                        numbers.add(e164)
        if numbers:
            self.sudo().search(
                [("match_state", "in", ("unmatched", "ambiguous")), ("phone_e164", "in", list(numbers))]
            )._retention_match(late=True)

    def _retention_consume(self, activity):
        """Record that this call verified ``activity``: once and forever (system only)."""
        self.ensure_one()
        customer = (
            self.env["res.partner"].sudo().browse(activity.res_id).commercial_partner_id
            if activity.res_model == "res.partner"
            else self.env["res.partner"]
        )
        with policy.retention_system():
            self.sudo().write(
                {
                    "status_at_call": self.env["retention.customer"]
                    ._retention_rows(customer, activity.sudo().retention_company_id or self.company_id, create=False)
                    .retention_status
                    or False,
                    "activity_id": activity.id,
                    "activity_summary": activity.summary or activity.activity_type_id.name,
                    "activity_done_date": fields.Date.context_today(self),
                    "consumed_date": fields.Datetime.now(),
                    "consumed_activity_ref": "mail.activity,%s" % activity.id,
                }
            )

    # ------------------------------------------------------------------
    # INGESTION (PBX endpoint and CSV import)
    # ------------------------------------------------------------------

    @api.model
    def _retention_intake_lock(self, company_id):
        """Wait for this company's intake lock (held until the end of the current transaction)."""
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", INTAKE_LOCK_KEY, company_id))

    @api.model
    def _retention_parse_row(self, row, now=None):
        """Validated vals of one input row (dict with call_id, number, direction, start, duration,
        user_login); raises ValueError with the reason."""
        if not isinstance(row, dict):
            raise ValueError(_("a call must be a JSON object"))
        call_id = cv.clean_text(row.get("call_id"), "call_id", 128)
        if not call_id:
            raise ValueError(_("call_id is missing"))
        vals = {
            "external_id": call_id,
            "phone_number": cv.parse_number(row.get("number")),
            "direction": cv.parse_direction(row.get("direction")),
            "start": cv.parse_start(row.get("start"), now=now or fields.Datetime.now()),
            "duration_seconds": cv.parse_duration(row.get("duration")),
        }
        vals["answered"] = cv.parse_answered(row.get("answered", True))
        if not vals["answered"]:
            vals["duration_seconds"] = 0  # the ringing of an unanswered call is no talk time
        login = cv.clean_text(row.get("user_login"), "user_login", 128)
        vals["user_id"] = False
        if login:
            user = self.env["res.users"].sudo().search([("login", "=", login)], limit=1)
            if not user:
                raise ValueError(_("user_login %(login)s is not an Odoo user", login=cv.safe_text(login)))
            vals["user_id"] = user.id
        elif row.get("agent"):
            hints = {
                key: cv.clean_text(value, "agent", 128)
                for key, value in (row["agent"].items() if isinstance(row["agent"], dict) else [])
                if key in AGENT_HINTS
            }
            vals["agent_ref"] = agent_ref(hints) or False
            vals["user_id"] = self.env["res.users"]._retention_agent_user(hints, self.env.company).id
        return vals

    @api.model
    def _retention_ingest(self, rows, source, company, dry_run=False):
        """Validate and create calls from telephony rows: ``rows`` is a list of (label, dict) where
        the label names the row in errors (index or line number). Every row is checked on its own and
        bad rows become errors with a reason; the good rows are created even when others are
        rejected (in one batch, or row by row in savepoints should the batch fail). A call id already
        known (or repeated) counts as duplicate. A number that belongs only to contacts of another
        company is an error that names none of them.
        Returns {"created": n, "duplicate": n, "rejected": n, "errors": [{"row", "call_id", "reason"}]}."""
        Call = self.sudo().with_company(
            company
        )  # telephony input: the caller was authenticated by token or is a manager
        now = fields.Datetime.now()
        errors, duplicates, parsed = [], 0, []
        for label, row in rows:
            try:
                parsed.append((label, Call._retention_parse_row(row, now=now)))
            except ValueError as exc:
                errors.append(self._retention_row_error(label, row, str(exc)))
        existing = set(
            Call.with_context(active_test=False)
            .search(
                [
                    ("company_id", "=", company.id),
                    ("source", "=", source),
                    ("external_id", "in", [vals["external_id"] for _l, vals in parsed]),
                ]
            )
            .mapped("external_id")
        )
        for _label, vals in parsed:
            vals["phone_e164"] = Call._retention_e164(vals["phone_number"], company.country_id)
        owners = Call._retention_owners({vals["phone_e164"] for _l, vals in parsed if vals["phone_e164"]})
        good = []
        for label, vals in parsed:
            if vals["external_id"] in existing:
                duplicates += 1
                continue
            numbers_owners = owners.get(vals["phone_e164"]) if vals["phone_e164"] else None
            if numbers_owners and not Call._retention_visible_owners(numbers_owners, company):
                errors.append(
                    self._retention_row_error(
                        label,
                        vals,
                        _(
                            "the number belongs to a contact of another company, not to a customer of %(company)s",
                            company=company.name,
                        ),
                    )
                )
                continue
            existing.add(vals["external_id"])
            vals.update(source=source, company_id=company.id)
            good.append((label, vals))
        created = len(good) if dry_run else Call._retention_create_rows(good, owners, errors)
        errors.sort(key=lambda e: (str(type(e["row"])), e["row"]))
        return {"created": created, "duplicate": duplicates, "rejected": len(errors), "errors": errors}

    @api.model
    def _retention_row_error(self, label, row, reason):
        call_id = row.get("call_id", row.get("external_id")) if isinstance(row, dict) else None
        return {
            "row": label,
            "call_id": cv.safe_text(call_id, 128) if call_id not in (None, "") else None,
            "reason": reason,
        }

    @api.model
    def _retention_create_rows(self, good, owners, errors):
        """Create the validated rows: one batch in a savepoint; should it fail, row by row so that one
        bad row never loses the others. Returns the number of calls created."""
        vals_list = []
        for _label, vals in good:
            call = self.new(
                {
                    "phone_e164": vals["phone_e164"],
                    "source": vals["source"],
                    "company_id": vals["company_id"],
                    "start": vals["start"],
                }
            )
            vals.update(call._retention_match_vals(owners) if vals["phone_e164"] else {"match_state": "invalid"})
            vals_list.append(vals)
        token = _INGESTING.set(True)
        try:
            try:
                with self.env.cr.savepoint():
                    self.create(vals_list)
                return len(vals_list)
            except Exception:  # noqa: BLE001 - isolate the bad row below
                _logger.warning("Call batch could not be stored at once; storing row by row", exc_info=True)
            created = 0
            for label, vals in good:
                try:
                    with self.env.cr.savepoint():
                        self.create([vals])
                    created += 1
                except Exception as exc:  # noqa: BLE001 - reported as the row's error
                    errors.append(
                        self._retention_row_error(
                            label, vals, _("could not be stored (%(error)s)", error=cv.safe_text(str(exc), 120))
                        )
                    )
            return created
        finally:
            _INGESTING.reset(token)

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
            [
                "commercial_partner_id",
                "start",
                "duration_seconds",
                "verified",
                "match_state",
                "activity_id",
                "consumed_date",
                "company_id",
                "number_since",
                "user_id",
                "answered",
                "agent_ref",
            ],
        )
        result = {}
        for call in calls:
            result.setdefault(call.commercial_partner_id.id, []).append(
                {
                    "id": call.id,
                    "start": call.start,
                    "duration": call.duration_seconds,
                    # a call matched after a number change counts only once a manager confirmed it
                    "verified": call.verified and call.match_state == "matched",
                    "used": bool(call.consumed_date or call.activity_id),
                    "record": call,
                    "number_since": call.number_since,
                    "company_id": call.company_id.id,
                    "agent_id": call.user_id.id,
                    # the telephony named an agent no Odoo user matches: nobody's own call
                    "agent_unknown": bool(call.agent_ref and not call.user_id),
                    "answered": call.answered,
                }
            )
        return result

import base64
import binascii
import json
import logging

from odoo import SUPERUSER_ID, api, http
from odoo.http import request

from ..models.retention_call import MAX_ROWS
from ..tools import telephony
from ..tools.telephony import common as tel_common
from ..tools.telephony import twilio as tel_twilio
from ..tools.telephony import zadarma as tel_zadarma

_logger = logging.getLogger(__name__)


class RetentionCallController(http.Controller):
    """PBX webhook: POST /order_retention/calls with ``Authorization: Bearer <company token>`` and a
    JSON body (one call object or a list of them: call_id, number, direction, start, duration,
    optional user_login). Replies {"created", "duplicate", "rejected", "errors": [{index, call_id, reason}]}.
    Every reply, errors included, is JSON."""

    @staticmethod
    def _reply(status, payload, headers=None):
        # ASCII JSON: safe whatever the input echoed in a reason, and Content-Length is exact
        body = json.dumps(payload, ensure_ascii=True)
        return request.make_response(
            body,
            headers=[("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
            + (headers or []),
            status=status,
        )

    @http.route("/order_retention/calls", type="http", auth="none", csrf=False, save_session=False, readonly=False)
    def push_calls(self, **_kwargs):
        try:
            return self._push_calls()
        except Exception:  # noqa: BLE001 - a bug must still answer JSON, never an HTML error page
            _logger.exception("PBX push failed")
            return self._reply(500, {"error": "internal error: no call of this request was stored; retry later"})

    def _push_calls(self):
        if request.httprequest.method != "POST":
            return self._reply(405, {"error": "use POST with a JSON body"}, headers=[("Allow", "POST")])
        header = request.httprequest.headers.get("Authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            return self._reply(
                401,
                {
                    "error": "missing token: send 'Authorization: Bearer <token>' "
                    "(Sales > Settings > Customer Retention > Generate new token)"
                },
            )
        company = request.env["res.company"].sudo()._retention_company_for_token(header[7:].strip())
        if not company:
            return self._reply(401, {"error": "invalid or revoked token"})
        if not company.active:
            return self._reply(403, {"error": "the company of this token is archived"})
        rows, error = self._rows(request.httprequest.get_data())
        if error:
            return self._reply(error[0], {"error": error[1]})
        result = self._ingest(company.id, rows, "pbx")
        result["errors"] = [
            {"index": e["row"], "call_id": e["call_id"], "reason": e["reason"]} for e in result["errors"]
        ]
        _logger.info(
            "PBX push for %s: %s created, %s duplicate, %s rejected",
            company.name,
            result["created"],
            result["duplicate"],
            result["rejected"],
        )
        return self._reply(200, result)

    @staticmethod
    def _rows(data):
        """(rows, None) from the request body (UTF-8, a leading byte order mark allowed, as some PBXs and
        Windows tools send it), or (None, (status, reason))."""
        try:
            payload = json.loads(data.decode("utf-8-sig") or "null")
        except UnicodeDecodeError:
            return None, (400, "the body is not UTF-8 text")
        except RecursionError:
            return None, (400, "malformed JSON: nested too deeply")
        except ValueError as exc:
            return None, (400, "malformed JSON: %s" % str(exc)[:200])
        rows = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) else None
        if rows is None:
            return None, (400, "the body must be a JSON object or a list of objects")
        if len(rows) > MAX_ROWS:
            return None, (413, "at most %d calls per request; split the batch" % MAX_ROWS)
        return rows, None

    @staticmethod
    def _ingest(company_id, rows, source):
        """Store the rows in a transaction of their own that starts once this company's intake lock is
        held: concurrent pushes of the same calls then see each other's rows (counted as duplicates)
        instead of colliding on the unique call id."""
        registry = request.env.registry
        with registry.cursor() as lock_cr:
            lock_env = api.Environment(lock_cr, SUPERUSER_ID, {})
            lock_env["retention.call"]._retention_intake_lock(company_id)
            with registry.cursor() as cr:
                # superuser: the bearer token authenticated the telephony for this company only
                env = api.Environment(cr, SUPERUSER_ID, {})
                company = env["res.company"].browse(company_id)
                return (
                    env["retention.call"]
                    .with_company(company)
                    ._retention_ingest(list(enumerate(rows)), source, company)
                )


MAX_BODY = 256 * 1024  # one call record is a few hundred bytes
JSON_TYPES = ("application/json", "text/json")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RetentionTelephonyController(RetentionCallController):
    """One intake URL per provider: POST /order_retention/calls/<provider> with the provider's own
    finished-call record (tools/telephony maps it to the intake's rows) and its own authentication, decided in
    ``_authenticate`` alone. Replies like /order_retention/calls (plus what the provider expects, e.g. Binotel's
    {"status": "success"}); a notification without a finished call is answered {"ignored": reason}."""

    @http.route(
        "/order_retention/calls/<string:provider>",
        type="http",
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def provider_calls(self, provider, **_kwargs):
        try:
            return self._provider_calls(provider)
        except Exception:  # noqa: BLE001 - a bug must still answer JSON, never an HTML error page
            _logger.exception("Telephony push (%s) failed", provider[:20])
            return self._reply(500, {"error": "internal error: no call of this request was stored; retry later"})

    def _provider_calls(self, provider):
        spec = telephony.PROVIDERS.get(provider)
        if not spec:
            return self._reply(404, {"error": "unknown provider; one of: %s" % ", ".join(telephony.PROVIDERS)})
        httprequest = request.httprequest
        if httprequest.method == "GET" and provider == "zadarma" and "zd_echo" in httprequest.args:
            return self._zadarma_echo(httprequest.args.get("zd_echo"))
        if httprequest.method != "POST":
            return self._reply(405, {"error": "use POST"}, headers=[("Allow", "POST")])
        if (httprequest.content_length or 0) > MAX_BODY:
            return self._reply(413, {"error": "the body is larger than %d bytes" % MAX_BODY})
        payload, form, error = self._payload()
        if error:
            return self._reply(error[0], {"error": error[1]})
        ignored = tel_zadarma.ignored_reason(payload) if provider == "zadarma" else None
        if ignored:  # Zadarma's other events carry no finished call, and Zadarma signs them otherwise
            return self._reply(200, {"ignored": ignored})
        config, error = self._authenticate(spec, payload, form)
        if error:
            return self._reply(error[0], {"error": error[1]})
        payload.pop("token", None)
        try:
            rows, ignored = telephony.rows_of(provider, payload, config.tz)
        except ValueError as exc:
            rows, ignored = [], None
            mapping_error = {"index": 0, "call_id": None, "reason": str(exc)}
        else:
            mapping_error = None
        if ignored:
            return self._reply(200, dict(spec.ack, ignored=ignored))
        result = self._ingest(config.company_id.id, rows, provider) if rows else {"created": 0, "duplicate": 0}
        errors = [{"index": e["row"], "call_id": e["call_id"], "reason": e["reason"]} for e in result.get("errors", [])]
        errors += [mapping_error] if mapping_error else []
        result.update(rejected=len(errors), errors=errors)
        _logger.info(
            "%s push for %s: %s created, %s duplicate, %s rejected",
            spec.label,
            config.company_id.name,
            result["created"],
            result["duplicate"],
            result["rejected"],
        )
        return self._reply(200, dict(spec.ack, **result))

    def _payload(self):
        """(payload dict, form dict or None, None) of the request's body, or (None, None, (status, reason))."""
        httprequest = request.httprequest
        mimetype = httprequest.mimetype or ""
        if mimetype in FORM_TYPES:
            pairs = list(httprequest.form.items(multi=True))
            try:
                return tel_common.nest_form(pairs), dict(httprequest.form.items()), None
            except ValueError as exc:
                return None, None, (400, str(exc))
        if mimetype in JSON_TYPES:
            data = httprequest.get_data(cache=True)
            if len(data) > MAX_BODY:
                return None, None, (413, "the body is larger than %d bytes" % MAX_BODY)
            rows, error = self._rows(data)
            if error:
                return None, None, error
            if len(rows) != 1 or not isinstance(rows[0], dict):
                return None, None, (400, "send one call record (a JSON object) per request")
            return rows[0], None, None
        return None, None, (415, "send the call record as JSON or as a form (application/x-www-form-urlencoded)")

    def _zadarma_echo(self, value):
        """Zadarma checks a notification URL with GET ?zd_echo=<text>: echo it, when a company uses Zadarma."""
        echo = tel_zadarma.echo(value)
        if not echo or not request.env["retention.telephony"].sudo().search_count(
            [("provider", "=", "zadarma"), ("enabled", "=", True)], limit=1
        ):
            return self._reply(404, {"error": "Zadarma is not enabled, or zd_echo is not a plausible check"})
        return request.make_response(echo, headers=[("Content-Type", "text/plain; charset=utf-8")])

    @staticmethod
    def _token():
        """The token of a token-authenticated request: Authorization Bearer, the user of Authorization Basic,
        ?token= in the URL or a token form field."""
        httprequest = request.httprequest
        header = httprequest.headers.get("Authorization", "")
        scheme, _sep, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        if scheme.lower() == "basic" and value.strip():
            try:
                user = base64.b64decode(value.strip(), validate=True).decode("utf-8").split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return ""
            return user.strip()
        token = httprequest.args.get("token") or httprequest.form.get("token") or ""
        return token.strip()

    def _authenticate(self, spec, payload, form):
        """(the retention.telephony row the request authenticates with, None) or (None, (status, reason)): the one
        place that decides who authenticates how (see tools/telephony)."""
        Config = request.env["retention.telephony"].sudo()
        if spec.auth == telephony.AUTH_TOKEN:
            token = self._token()
            if not token:
                return None, (
                    401,
                    "missing token: send 'Authorization: Bearer <token>' or ?token=<token> "
                    "(Settings > Customer Retention > Telephony providers > Generate token)",
                )
            config = Config._retention_for_token(spec.key, token)
            if not config:
                return None, (401, "invalid or revoked token")
        elif spec.auth == telephony.AUTH_TWILIO:
            config, error = self._twilio_config(Config, form)
            if error:
                return None, error
        else:
            signature = request.httprequest.headers.get("Signature")
            if not signature:
                return None, (401, "missing Signature header")
            config = next(
                (
                    c
                    for c in Config._retention_signed_candidates(spec.key)
                    if tel_zadarma.signature_valid(c.secret, payload, signature)
                ),
                None,
            )
            if not config:
                return None, (403, "invalid signature")
        if not config.enabled:
            return None, (403, "%s is turned off for this company" % spec.label)
        if not config.company_id.active:
            return None, (403, "the company of this provider is archived")
        return config, None

    @staticmethod
    def _twilio_config(Config, form):
        httprequest = request.httprequest
        signature = httprequest.headers.get("X-Twilio-Signature")
        if not signature:
            return None, (401, "missing X-Twilio-Signature header")
        if form is None:
            return None, (415, "Twilio posts a form (application/x-www-form-urlencoded)")
        try:
            config = next(
                (
                    c
                    for c in Config._retention_signed_candidates("twilio")
                    if tel_twilio.signature_valid(c.secret, httprequest.url, form, signature)
                ),
                None,
            )
        except tel_twilio.MissingLibrary:
            return None, (503, "the twilio library is not installed on the server (pip install twilio)")
        if not config:
            return None, (403, "invalid X-Twilio-Signature")
        if config.account_sid and form.get("AccountSid") != config.account_sid:
            return None, (403, "AccountSid is not the account of this company")
        return config, None

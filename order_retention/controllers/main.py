import json
import logging

from odoo import SUPERUSER_ID, api, http
from odoo.http import request

from ..models.retention_call import MAX_ROWS

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
        result = self._ingest(company.id, rows)
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
    def _ingest(company_id, rows):
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
                    env["retention.call"].with_company(company)._retention_ingest(list(enumerate(rows)), "pbx", company)
                )

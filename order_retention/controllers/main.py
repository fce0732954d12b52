import json
import logging

from odoo import SUPERUSER_ID, http
from odoo.http import request

_logger = logging.getLogger(__name__)
MAX_ROWS = 5000


class RetentionCallController(http.Controller):
    """PBX webhook: POST /order_retention/calls with ``Authorization: Bearer <company token>`` and a
    JSON body (one call object or a list of them: call_id, number, direction, start, duration,
    optional user_login). Replies {"created", "duplicate", "rejected", "errors": [{index, call_id, reason}]}."""

    @staticmethod
    def _reply(status, payload):
        return request.make_json_response(payload, status=status)

    @http.route("/order_retention/calls", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def push_calls(self, **_kwargs):
        header = request.httprequest.headers.get("Authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            return self._reply(401, {"error": "missing token: send 'Authorization: Bearer <token>' "
                                              "(Sales > Settings > Customer Retention > Generate new token)"})
        company = request.env["res.company"].sudo()._retention_company_for_token(header[7:].strip())
        if not company:
            return self._reply(401, {"error": "invalid or revoked token"})
        if not company.active:
            return self._reply(403, {"error": "the company of this token is archived"})
        try:
            payload = json.loads(request.httprequest.get_data(as_text=True) or "null")
        except ValueError as exc:
            return self._reply(400, {"error": "malformed JSON: %s" % exc})
        rows = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) else None
        if rows is None:
            return self._reply(400, {"error": "the body must be a JSON object or a list of objects"})
        if len(rows) > MAX_ROWS:
            return self._reply(413, {"error": "at most %d calls per request; split the batch" % MAX_ROWS})
        # sudo: the bearer token authenticated the telephony for this company only
        calls = request.env(user=SUPERUSER_ID)["retention.call"].with_company(company)
        result = calls._retention_ingest(list(enumerate(rows)), "pbx", company)
        result["errors"] = [{"index": e["row"], "call_id": e["call_id"], "reason": e["reason"]} for e in result["errors"]]
        _logger.info("PBX push for %s: %s created, %s duplicate, %s rejected",
                     company.name, result["created"], result["duplicate"], result["rejected"])
        return self._reply(200, result)

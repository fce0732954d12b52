"""The telephony adapters (no Odoo import): one module per provider, each turning the provider's own
finished-call record into rows of the call intake (retention.call._retention_ingest), and the registry that
says, in one place, how each provider authenticates.

A row: {"call_id", "number", "direction", "start", "duration" (the talk time: answer to hang-up, never the
ringing), "answered", "agent": {"extension", "email"} (hints matched to an Odoo user)}. An adapter raises
``Ignored`` for a notification without a finished call, ValueError (with the reason) for a malformed one.

Authentication (``Provider.auth``):
* ``token``: the company's token of that provider, sent as ``Authorization: Bearer <token>``, as the user of
  ``Authorization: Basic`` (3CX's template), as a ``token`` form field (Asterisk's CURL()) or as ``?token=``
  in the URL (Binotel and Ringostat, which send no header);
* ``twilio``: ``X-Twilio-Signature`` checked with the ``twilio`` library and the account's Auth Token;
* ``zadarma``: ``Signature`` (HMAC-SHA1 with the account's API secret).
"""

from collections import namedtuple

from . import asterisk, binotel, ringostat, threecx, twilio, zadarma
from .common import Ignored

AUTH_TOKEN, AUTH_TWILIO, AUTH_ZADARMA = "token", "twilio", "zadarma"
Provider = namedtuple("Provider", "key label auth to_rows ack")

PROVIDERS = {
    "asterisk": Provider("asterisk", "Asterisk / FreePBX", AUTH_TOKEN, asterisk.to_rows, {}),
    "3cx": Provider("3cx", "3CX", AUTH_TOKEN, threecx.to_rows, {}),
    "twilio": Provider("twilio", "Twilio", AUTH_TWILIO, twilio.to_rows, {}),
    "zadarma": Provider("zadarma", "Zadarma", AUTH_ZADARMA, zadarma.to_rows, {}),
    "binotel": Provider("binotel", "Binotel", AUTH_TOKEN, binotel.to_rows, binotel.ACK),
    "ringostat": Provider("ringostat", "Ringostat", AUTH_TOKEN, ringostat.to_rows, {}),
}
SELECTION = [(p.key, p.label) for p in PROVIDERS.values()]


def rows_of(provider, payload, tz=None):
    """(rows, ignored reason or None) of one request's ``payload``; ValueError when it is malformed."""
    if not isinstance(payload, dict):
        raise ValueError("the body must be one call record (a JSON object or a form)")
    try:
        return PROVIDERS[provider].to_rows(payload, tz), None
    except Ignored as exc:
        return [], str(exc)

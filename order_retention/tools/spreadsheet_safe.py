"""Spreadsheet-safe text for exports (no Odoo import), after OWASP's advice on CSV (formula) injection.

* ``is_formula_like(text)``: text a spreadsheet could run as a formula: it starts with = + - or @ (after any
  blanks), with "{=" (an array formula for XLSX writers), or with a tab or a line break (which some
  spreadsheets drop before reading the rest).
* ``spreadsheet_safe(value)``: ``value`` unchanged, unless it is formula-like text: then the same text with a
  leading apostrophe ("'=1+1"), which spreadsheets show as text and never evaluate. An international phone
  number ("+1 650 253 0000", "+32 (0)470 12.34.56", "+1 650 253 0000 x12") is left as it is: its leading +
  is legitimate and no formula can hide in digits and separators (XLSX writes it as a text cell; Odoo's own
  CSV export puts an apostrophe before any value starting with = + or -).
"""

import re

FORMULA_STARTS = ("=", "+", "-", "@")
CONTROL_STARTS = ("\t", "\r", "\n")
_PHONE = re.compile(r"\+[0-9][0-9 ().\-/]*(?:\s*(?:x|ext\.?|#)\s*[0-9]+)?", re.IGNORECASE)


def is_formula_like(text):
    if not isinstance(text, str) or not text:
        return False
    head = text.lstrip()
    return text.startswith(CONTROL_STARTS) or head.startswith(FORMULA_STARTS) or head.startswith("{=")


def spreadsheet_safe(value):
    if not is_formula_like(value) or _PHONE.fullmatch(value):
        return value
    return "'" + str(value)  # str(): a Markup would escape the apostrophe

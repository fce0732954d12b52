"""Plural categories of the languages this module is translated into (CLDR rules, cardinal numbers).

Odoo has no ngettext in Python: a text with a number picks one of its forms by the category of the number in the
reader's language, e.g. Ukrainian 1 день, 2 дні, 5 днів, 11 днів, 21 день, 22 дні, 25 днів. English has two
categories (one, other); Ukrainian and Russian four (one, few, many, other - other for fractions). A language
without its own rule here counts like English.
"""

import math

CATEGORIES = ("one", "few", "many", "other")


def _east_slavic(n):
    """uk, ru, be: one 1, 21, 31...; few 2-4, 22-24...; many 0, 5-20, 25-30...; other: fractions."""
    if n != math.floor(n):
        return "other"
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _polish(n):
    """pl: one 1 only; few 2-4, 22-24... (not 12-14); many the other whole numbers; other: fractions."""
    if n != math.floor(n):
        return "other"
    n = abs(int(n))
    if n == 1:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _english(n):
    return "one" if abs(n) == 1 else "other"


RULES = {"uk": _east_slavic, "ru": _east_slavic, "be": _east_slavic, "pl": _polish}


def category(lang, n):
    """The plural category of the number ``n`` in the language ``lang`` (an Odoo code: uk_UA, ru_RU, en_US...)."""
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return "other"
    rule = RULES.get((lang or "en_US").split("_")[0].lower(), _english)
    return rule(n)

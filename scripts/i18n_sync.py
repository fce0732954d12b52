"""Keep uk.po and ru.po in step with the .pot after `make pot`.

    python3 scripts/i18n_sync.py [--i18n order_retention/i18n] [DICT.py ...]

Every msgid of the .pot gets its entry in each .po (occurrences and comments refreshed from the .pot); entries the
.pot no longer has are dropped; a translation comes from the dictionary files given (Python files defining ``UK``
and ``RU``, {msgid: msgstr}) or else from the .po itself. Prints the msgids still untranslated per language and
exits 1 when there are any, so that the uk/ru tests (TestI18nUk, TestI18nRu) are not the first to tell.
Needs polib (it comes with Odoo's requirements).
"""

import argparse
import runpy
import sys

import polib

LANGS = {"uk": "UK", "ru": "RU"}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--i18n", default="order_retention/i18n")
    parser.add_argument("dicts", nargs="*", help="Python files defining UK and RU dictionaries {msgid: msgstr}")
    args = parser.parse_args(argv)
    tables = {lang: {} for lang in LANGS}
    for path in args.dicts:
        values = runpy.run_path(path)
        for lang, name in LANGS.items():
            tables[lang].update(values.get(name, {}))
    pot = polib.pofile("%s/order_retention.pot" % args.i18n)
    untranslated = 0
    for lang in LANGS:
        path = "%s/%s.po" % (args.i18n, lang)
        po = polib.pofile(path)
        known = {entry.msgid: entry for entry in po if not entry.obsolete}
        entries = []
        missing = []
        for source in pot:
            msgstr = tables[lang].get(source.msgid) or (known[source.msgid].msgstr if source.msgid in known else "")
            if not msgstr:
                missing.append(source.msgid)
            entries.append(
                polib.POEntry(
                    msgid=source.msgid,
                    msgstr=msgstr,
                    occurrences=source.occurrences,
                    comment=source.comment,
                    tcomment=source.tcomment,
                    flags=source.flags,
                )
            )
        po[:] = entries
        po.wrapwidth = 78
        po.save(path)
        print("%s: %d entries, %d untranslated" % (lang, len(entries), len(missing)))
        for msgid in missing:
            print("    %r" % msgid)
        untranslated += len(missing)
    return 1 if untranslated else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Ukrainian and Russian translations of the user-facing strings.

Enabled once ``i18n/uk.po`` (``ru.po``) exists (the class is only defined then, so that the
test runner, which treats a skipped test as a failure, has nothing to skip before).
Each check compares what a Ukrainian (Russian) user sees with the translation that the .po gives
for the same English source, and requires that translation to exist; and no msgid of the .pot
is left untranslated.
"""

import os
import re

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

I18N = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n")
UK_PO = os.path.join(I18N, "uk.po")
RU_PO = os.path.join(I18N, "ru.po")
POT = os.path.join(I18N, "order_retention.pot")
LANG = "uk_UA"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
MENUS = [
    "order_retention.order_retention_menu_root",
    "order_retention.res_partner_menu_missing_orders",
    "order_retention.res_partner_menu_retention_status",
    "order_retention.retention_status_history_menu",
    "order_retention.retention_call_menu",
    "order_retention.retention_cancel_analysis_menu",
    "order_retention.retention_cancel_reason_menu",
]
SETTINGS = ["Customer Retention", "Follow-up calls", "Cancellation reason required"]
REFUSAL = "These retention calls cannot be marked done yet"

if os.path.isfile(UK_PO):
    import polib

    @tagged("post_install", "-at_install", "order_retention", "order_retention_i18n")
    class TestI18nUk(TransactionCase):
        LANG = LANG
        PO = UK_PO

        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            cls.po = {
                entry.msgid: entry.msgstr for entry in polib.pofile(cls.PO) if entry.msgstr and not entry.obsolete
            }
            cls.env["res.lang"]._activate_lang(cls.LANG)
            cls.env["ir.module.module"]._load_module_terms(["order_retention"], [cls.LANG], overwrite=True)
            cls.uk = cls.env(context=dict(cls.env.context, lang=cls.LANG))

        def test_complete(self):
            """Every msgid of the .pot is translated, with the same placeholders."""
            for entry in polib.pofile(POT):
                if not entry.msgid:
                    continue
                with self.subTest(msgid=entry.msgid[:60]):
                    self.assertTrue(self.po.get(entry.msgid), "untranslated")
                    self.assertEqual(
                        sorted(PLACEHOLDER.findall(entry.msgid)),
                        sorted(PLACEHOLDER.findall(self.po[entry.msgid])),
                    )

        def _uk(self, source):
            """The Ukrainian translation of ``source``; it must exist."""
            self.assertIn(source, self.po, f"uk.po has no translation for {source!r}")
            self.assertNotEqual(self.po[source], source)
            return self.po[source]

        def test_menus(self):
            """The Retention menus are in Ukrainian."""
            for xmlid in MENUS:
                menu = self.env.ref(xmlid)
                with self.subTest(menu=menu.name):
                    self.assertEqual(menu.with_env(self.uk).name, self._uk(menu.name))

        def test_statuses(self):
            """Active / warm / cold / lost read in Ukrainian."""
            field = self.uk["res.partner"]._fields["retention_status"]
            labels = dict(field._description_selection(self.uk))
            english = dict(field._description_selection(self.env))
            for value, label in english.items():
                with self.subTest(status=value):
                    self.assertEqual(labels[value], self._uk(label))

        def test_settings(self):
            """The Customer Retention block of the Settings is in Ukrainian."""
            arch = self.uk["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
            for source in SETTINGS:
                with self.subTest(setting=source):
                    self.assertIn(self._uk(source), arch)

        def test_explanation(self):
            """The explanation sentences of the daily cycle are in Ukrainian."""
            english = self.env["retention.cycle"]._retention_explanation_templates()
            ukrainian = self.uk["retention.cycle"]._retention_explanation_templates()
            for key, source in english.items():
                with self.subTest(sentence=key):
                    self.assertEqual(ukrainian[key], self._uk(source))

        def test_refusal(self):
            """Closing a retention call without a call is refused in Ukrainian."""
            partner = self.env["res.partner"].create({"name": "Klient", "phone": "+1 650 253 0199"})
            activity = partner.activity_schedule("order_retention.mail_act_retention_call", user_id=self.env.user.id)
            with self.assertRaises(UserError) as refusal:
                activity.with_env(self.uk).action_done()
            message = str(refusal.exception)
            source = next(msgid for msgid in self.po if msgid.startswith(REFUSAL))
            self.assertIn(self._uk(source).split("\n", 1)[0], message)


if os.path.isfile(RU_PO):

    @tagged("post_install", "-at_install", "order_retention", "order_retention_i18n")
    class TestI18nRu(TestI18nUk):
        """The same checks in Russian."""

        # Odoo's loader runs only the test methods a class defines itself unless told otherwise
        allow_inherited_tests_method = True
        LANG = "ru_RU"
        PO = RU_PO

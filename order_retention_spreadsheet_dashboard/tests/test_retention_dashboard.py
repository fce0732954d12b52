import base64
import json
import re
from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

LINK = re.compile(r"^\[[^\]]+\]\(odoo://view/(.*)\)$")
PIVOT_REF = re.compile(r"PIVOT(?:\.VALUE|\.HEADER)?\((\d+)")


@tagged("post_install", "-at_install", "order_retention_spreadsheet_dashboard")
class TestRetentionDashboard(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref(
            "order_retention_spreadsheet_dashboard.spreadsheet_dashboard_retention"
        )
        cls.data = json.loads(base64.b64decode(cls.dashboard.spreadsheet_binary_data))

    def _check_path(self, model, path):
        """``path`` (a field name or a dotted chain) exists from ``model``."""
        for name in path.split("."):
            self.assertIn(
                name, self.env[model]._fields, f"{model}.{name} does not exist"
            )
            field = self.env[model]._fields[name]
            model = field.comodel_name or model

    def _check_domain(self, model, domain):
        for leaf in domain:
            if isinstance(leaf, list | tuple):
                self._check_path(model, leaf[0])
        self.env[model].with_context(active_test=False).search_count(domain)

    def test_dashboard_record(self):
        """The Retention dashboard is published in the Sales group for managers."""
        self.assertEqual(self.dashboard.name, "Retention")
        self.assertTrue(self.dashboard.is_published)
        self.assertEqual(
            self.dashboard.dashboard_group_id,
            self.env.ref("spreadsheet_dashboard.spreadsheet_dashboard_group_sales"),
        )
        self.assertIn(
            self.env.ref("sales_team.group_sale_manager"), self.dashboard.group_ids
        )
        self.assertTrue(self.dashboard.get_readonly_dashboard()["snapshot"])

    def test_pivots_reference_existing_models_and_fields(self):
        """Every pivot's model, domain, rows, columns, measures and filters exist."""
        self.assertTrue(self.data["pivots"])
        filter_ids = {f["id"] for f in self.data["globalFilters"]}
        for pivot in self.data["pivots"].values():
            model = pivot["model"]
            with self.subTest(pivot=pivot["name"]):
                self.assertIn(model, self.env)
                self._check_domain(model, pivot["domain"])
                groupby = [d["fieldName"] for d in pivot["rows"] + pivot["columns"]]
                measures = [m["fieldName"] for m in pivot["measures"]]
                for name in groupby + measures:
                    if name != "__count":
                        self._check_path(model, name)
                for filter_id, matching in pivot["fieldMatching"].items():
                    self.assertIn(filter_id, filter_ids)
                    self._check_path(model, matching["chain"])
                # the server side of the data source: one read_group per pivot
                aggregates = [m if m == "__count" else f"{m}:sum" for m in measures]
                self.env[model].with_context(**pivot["context"])._read_group(
                    pivot["domain"], groupby, aggregates
                )

    def test_charts_links_and_formulas(self):
        """Charts, section links, menus and formulas point at things that exist."""
        pivot_ids = set(self.data["pivots"])
        relation_filters = [
            f for f in self.data["globalFilters"] if f["type"] == "relation"
        ]
        for global_filter in relation_filters:
            self.assertIn(global_filter["modelName"], self.env)
        for sheet in self.data["sheets"]:
            for figure in sheet["figures"]:
                chart = figure["data"]
                if chart["type"].startswith("odoo_"):
                    model = chart["metaData"]["resModel"]
                    for name in chart["metaData"]["groupBy"]:
                        self._check_path(model, name)
                    self._check_domain(model, chart["searchParams"]["domain"])
                else:
                    ref = chart["keyValue"].split("!")[1]
                    data_sheet = next(
                        s for s in self.data["sheets"] if s["name"] == "Data"
                    )
                    self.assertIn(ref, data_sheet["cells"])
            for ref, cell in sheet["cells"].items():
                content = cell.get("content", "")
                link = LINK.match(content)
                if link:
                    action = json.loads(link.group(1))["action"]
                    with self.subTest(cell=ref):
                        self._check_domain(action["modelName"], action["domain"])
                for pivot_id in PIVOT_REF.findall(content):
                    self.assertIn(pivot_id, pivot_ids, f"{sheet['name']}!{ref}")
        for xmlid in self.data["chartOdooMenusReferences"].values():
            self.assertTrue(self.env.ref(xmlid, raise_if_not_found=False), xmlid)

    def test_retention_call_state(self):
        """The search-only call state agrees with its computed value."""
        call_type = self.env.ref("order_retention.mail_act_retention_call")
        partner = self.env["res.partner"].create({"name": "Dashboard Customer"})
        today = fields.Date.context_today(partner)
        Activity = self.env["mail.activity"].with_context(active_test=False)
        activities = Activity.create(
            [
                {
                    "res_model_id": self.env.ref("base.model_res_partner").id,
                    "res_id": partner.id,
                    "activity_type_id": call_type.id,
                    "date_deadline": today + timedelta(days=delta),
                    "user_id": self.env.user.id,
                }
                for delta in (-3, 0, 5)
            ]
        )
        # closing one without a call is not the point here: archive it in SQL
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE mail_activity SET active = FALSE, date_done = %s WHERE id = %s",
                today,
                activities[2].id,
            )
        )
        self.env.invalidate_all(flush=False)
        self.assertFalse(activities[2].active)
        self.assertEqual(activities[2].date_done, today)
        self.assertEqual(
            activities.mapped("retention_call_state"), ["overdue", "due", "done_month"]
        )
        for state in ("overdue", "due", "done_month"):
            found = Activity.search(
                [
                    ("res_id", "=", partner.id),
                    ("active", "in", [True, False]),
                    ("retention_call_state", "=", state),
                ]
            )
            self.assertEqual(found.mapped("retention_call_state"), [state])

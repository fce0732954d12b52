import base64
import json
import re
from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

LINK = re.compile(r"^\[[^\]]+\]\(odoo://view/(.*)\)$")
PIVOT_REF = re.compile(r"PIVOT(?:\.VALUE|\.HEADER)?\((\d+)")


@tagged("post_install", "-at_install", "order_retention_spreadsheet_dashboard")
class TestRetentionDashboard(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref("order_retention_spreadsheet_dashboard.spreadsheet_dashboard_retention")
        cls.data = json.loads(base64.b64decode(cls.dashboard.spreadsheet_binary_data))

    def _check_path(self, model, path):
        """``path`` (a field name or a dotted chain) exists from ``model``."""
        for name in path.split("."):
            self.assertIn(name, self.env[model]._fields, f"{model}.{name} does not exist")
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
        self.assertIn(self.env.ref("sales_team.group_sale_manager"), self.dashboard.group_ids)
        self.assertTrue(self.dashboard.get_readonly_dashboard()["snapshot"])

    def test_pivots_reference_existing_models_and_fields(self):
        """Every pivot's model, domain, rows, columns, measures and filters exist."""
        self.assertTrue(self.data["pivots"])
        filter_types = {f["id"]: f["type"] for f in self.data["globalFilters"]}
        filter_ids = set(filter_types)
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
                filtered = list(pivot["domain"])
                for filter_id, matching in pivot["fieldMatching"].items():
                    self.assertIn(filter_id, filter_ids)
                    self._check_path(model, matching["chain"])
                    # what a set filter adds to the domain: a salesperson, a period
                    if filter_types[filter_id] == "relation":
                        filtered.append((matching["chain"], "in", [self.env.uid]))
                    else:
                        filtered.append((matching["chain"], ">=", fields.Date.today().replace(day=1)))
                # the server side of the data source: one read_group per pivot
                aggregates = [m if m == "__count" else f"{m}:sum" for m in measures]
                for domain in (pivot["domain"], filtered):
                    self.env[model].with_context(**pivot["context"])._read_group(domain, groupby, aggregates)

    def test_charts_links_and_formulas(self):
        """Charts, section links, menus and formulas point at things that exist."""
        pivot_ids = set(self.data["pivots"])
        relation_filters = [f for f in self.data["globalFilters"] if f["type"] == "relation"]
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
                    data_sheet = next(s for s in self.data["sheets"] if s["name"] == "Data")
                    for key in ("keyValue", "baseline"):
                        if chart.get(key):
                            self.assertIn(chart[key].split("!")[1], data_sheet["cells"])
            for ref, cell in sheet["cells"].items():
                content = cell.get("content", "")
                link = LINK.match(content)
                if link:
                    action = json.loads(link.group(1))["action"]
                    with self.subTest(cell=ref):
                        self._check_domain(action["modelName"], action["domain"])
                        view_types = [view_type for _id, view_type in action["views"]]
                        self.assertEqual(len(view_types), len(set(view_types)), "a view type twice")
                        if action.get("xmlId"):
                            window = self.env.ref(action["xmlId"])
                            self.assertEqual(window.res_model, action["modelName"])
                for pivot_id in PIVOT_REF.findall(content):
                    self.assertIn(pivot_id, pivot_ids, f"{sheet['name']}!{ref}")
        for xmlid in self.data["chartOdooMenusReferences"].values():
            self.assertTrue(self.env.ref(xmlid, raise_if_not_found=False), xmlid)

    def _pivot(self, name):
        pivots = [p for p in self.data["pivots"].values() if p["name"] == name]
        self.assertEqual(len(pivots), 1, name)
        return pivots[0]

    def _cells(self, sheet_name):
        sheet = next(s for s in self.data["sheets"] if s["name"] == sheet_name)
        return {ref: cell.get("content", "") for ref, cell in sheet["cells"].items()}

    def _scorecard(self, title):
        cards = [
            figure["data"]
            for sheet in self.data["sheets"]
            for figure in sheet["figures"]
            if figure["data"]["type"] == "scorecard" and figure["data"]["title"]["text"] == title
        ]
        self.assertEqual(len(cards), 1, title)
        return cards[0]

    def test_value_at_risk(self):
        """A Value at risk scorecard and a by-salesperson table linked to Missing
        Orders, summing the customers' stored value at risk."""
        field = self.env["res.partner"]._fields["retention_value_at_risk"]
        self.assertEqual(field.type, "monetary")
        self.assertTrue(field.store)
        pivot = self._pivot("Value at Risk by Salesperson")
        self.assertEqual(pivot["model"], "res.partner")
        self.assertEqual(pivot["domain"], [["retention_status", "!=", False]])
        self.assertEqual([r["fieldName"] for r in pivot["rows"]], ["user_id"])
        self.assertEqual(
            [m["fieldName"] for m in pivot["measures"]],
            ["retention_value_at_risk", "__count"],
        )
        card = self._scorecard("Value at risk")
        data_cells = self._cells("Data")
        key = data_cells[card["keyValue"].split("!")[1]]
        self.assertIn(f'PIVOT.VALUE({pivot["id"]},"retention_value_at_risk")', key)
        dashboard_cells = self._cells("Dashboard")
        self.assertIn(f"=PIVOT({pivot['id']},10)", dashboard_cells.values())
        links = [
            json.loads(LINK.match(c).group(1))
            for c in dashboard_cells.values()
            if LINK.match(c) and c.startswith("[Value at Risk by Salesperson]")
        ]
        self.assertEqual(len(links), 1)
        self.assertEqual(
            links[0]["action"]["xmlId"],
            "order_retention.res_partner_action_missing_orders_by_value",
        )
        # what the pivot sums: the customers with a status, in the company currency
        partners = self.env["res.partner"].create([{"name": f"Risk Customer {i}"} for i in range(2)])
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET retention_status = 'cold', retention_value_at_risk = 100.5 WHERE id IN %s",
                tuple(partners.ids),
            )
        )
        self.env.invalidate_all(flush=False)
        [(total, count)] = self.env["res.partner"]._read_group(
            pivot["domain"] + [["id", "in", partners.ids]],
            [],
            ["retention_value_at_risk:sum", "__count"],
        )
        self.assertAlmostEqual(total, 201.0)
        self.assertEqual(count, 2)

    def test_workload(self):
        """A Customers waiting for a call scorecard and a Workload by Salesperson table
        (title linked to the Workload action) over retention.workload, the queue now: the
        Salesperson filter applies (on user_id), the Period filter does not; what the
        data source reads, as a salesperson (own row) and as a manager (every row)."""
        pivot = self._pivot("Workload by Salesperson")
        self.assertEqual(pivot["model"], "retention.workload")
        self.assertEqual(pivot["domain"], [])
        self.assertEqual([r["fieldName"] for r in pivot["rows"]], ["user_id"])
        measures = [m["fieldName"] for m in pivot["measures"]]
        self.assertEqual(
            measures,
            ["capacity", "open_count", "overdue_count", "waiting_count", "value_covered", "value_waiting"],
        )
        Workload = self.env["retention.workload"]
        for name in measures:
            self.assertEqual(Workload._fields[name].aggregator, "sum", name)
        filters = {f["label"]: f["id"] for f in self.data["globalFilters"]}
        self.assertEqual(
            pivot["fieldMatching"],
            {filters["Salesperson"]: {"chain": "user_id", "type": "many2one"}},
        )
        self.assertNotIn(filters["Period"], pivot["fieldMatching"])
        card = self._scorecard("Customers waiting for a call")
        data_cells = self._cells("Data")
        self.assertEqual(data_cells[card["keyValue"].split("!")[1]], f'=PIVOT.VALUE({pivot["id"]},"waiting_count")')
        dashboard_cells = self._cells("Dashboard")
        self.assertIn(f"=PIVOT({pivot['id']},10)", dashboard_cells.values())
        links = [
            json.loads(LINK.match(c).group(1))
            for c in dashboard_cells.values()
            if LINK.match(c) and c.startswith("[Workload by Salesperson]")
        ]
        self.assertEqual(len(links), 1)
        self.assertEqual(links[0]["action"]["xmlId"], "order_retention.retention_workload_action")
        self.assertEqual(links[0]["action"]["modelName"], "retention.workload")
        # the action's list, pivot and graph views (navigateTo keeps the link's view types)
        window = self.env.ref("order_retention.retention_workload_action")
        self.assertEqual(
            [view_type for _id, view_type in links[0]["action"]["views"]],
            [*window.view_mode.split(","), "search"],
        )
        # what the data source reads: customers waiting for two salespeople
        seller_a, seller_b = (
            new_test_user(self.env, login, groups="sales_team.group_sale_salesman", name=login)
            for login in ("dash_seller_a", "dash_seller_b")
        )
        manager = new_test_user(self.env, "dash_manager", groups="sales_team.group_sale_manager")
        partners = self.env["res.partner"].create([{"name": f"Waiting Customer {i}"} for i in range(3)])
        self.env.flush_all()
        for partner, seller in zip(partners, (seller_a, seller_a, seller_b), strict=True):
            self.env.cr.execute(
                SQL(
                    "UPDATE res_partner SET retention_waiting_since = CURRENT_DATE, retention_queue_user_id = %s, "
                    "retention_value_at_risk = 250 WHERE id = %s",
                    seller.id,
                    partner.id,
                )
            )
        self.env.invalidate_all(flush=False)
        aggregates = [f"{m}:sum" for m in measures]

        def read(user, users=None, groupby=("user_id",)):
            """The pivot's read_group as ``user``, the Salesperson filter set to ``users``."""
            domain = pivot["domain"] + ([("user_id", "in", users.ids)] if users else [])
            groups = Workload.with_user(user).read_group(domain, aggregates, list(groupby), lazy=False)
            if not groupby:
                return groups[0]
            return {g["user_id"][0]: g for g in groups}

        sellers = seller_a | seller_b
        rows = read(manager)
        self.assertLessEqual(set(sellers.ids), set(rows))
        self.assertEqual([rows[s.id]["waiting_count"] for s in sellers], [2, 1])
        self.assertEqual([rows[s.id]["value_waiting"] for s in sellers], [500, 250])
        self.assertEqual(list(read(manager, seller_b)), [seller_b.id])
        # the scorecard: the total of the filtered rows
        self.assertEqual(read(manager, sellers, groupby=())["waiting_count"], 3)
        # a salesperson reads their own row only, whatever the filter
        self.assertEqual(list(read(seller_a)), [seller_a.id])
        self.assertEqual(read(seller_a)[seller_a.id]["waiting_count"], 2)
        self.assertEqual(read(seller_a, sellers, groupby=())["waiting_count"], 2)
        self.assertEqual(read(seller_a, seller_b), {})

    def test_done_this_month_verified_share(self):
        """The share of the retention calls done this month that a verified call
        closed: a second done-this-month pivot with the call set, divided by the
        first."""
        done = self._pivot("Retention Calls Done This Month")
        verified = self._pivot("Retention Calls Done This Month by a Verified Call")
        self.assertEqual(verified["model"], "mail.activity")
        self.assertEqual(verified["domain"], done["domain"] + [["retention_call_id", "!=", False]])
        self.assertEqual(verified["context"], {"active_test": False})
        card = self._scorecard("Done this month by a verified call")
        data_cells = self._cells("Data")
        ratio = data_cells[card["keyValue"].split("!")[1]]
        self.assertIn(
            f'PIVOT.VALUE({verified["id"]},"__count")/PIVOT.VALUE({done["id"]},"__count")',
            ratio,
        )
        self.assertIn(card["baseline"].split("!")[1], data_cells)
        # what the two pivots count: two calls done this month, one closed by a call
        call_type = self.env.ref("order_retention.mail_act_retention_call")
        partner = self.env["res.partner"].create({"name": "Verified Customer"})
        today = fields.Date.context_today(partner)
        Activity = self.env["mail.activity"].with_context(active_test=False)
        activities = Activity.create(
            [
                {
                    "res_model_id": self.env.ref("base.model_res_partner").id,
                    "res_id": partner.id,
                    "activity_type_id": call_type.id,
                    "date_deadline": today,
                    "user_id": self.env.user.id,
                }
                for _i in range(2)
            ]
        )
        call = self.env["retention.call"].create({"partner_id": partner.id, "phone_number": "+1 555 0100"})
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE mail_activity SET active = FALSE, date_done = %s, "
                "retention_call_id = CASE WHEN id = %s THEN %s END WHERE id IN %s",
                today,
                activities[0].id,
                call.id,
                tuple(activities.ids),
            )
        )
        self.env.invalidate_all(flush=False)
        mine = [["res_id", "=", partner.id]]
        counts = [Activity.search_count(pivot["domain"] + mine) for pivot in (done, verified)]
        self.assertEqual(counts, [2, 1])

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
        self.assertEqual(activities.mapped("retention_call_state"), ["overdue", "due", "done_month"])
        for state in ("overdue", "due", "done_month"):
            found = Activity.search(
                [
                    ("res_id", "=", partner.id),
                    ("active", "in", [True, False]),
                    ("retention_call_state", "=", state),
                ]
            )
            self.assertEqual(found.mapped("retention_call_state"), [state])

    def test_fuzz_call_state_search(self):
        """The dashboard's call-state filter under every domain operator and odd values, as a salesperson: a
        result or a clear refusal, never a traceback (issue #21)."""
        from random import Random  # noqa: PLC0415

        from odoo.addons.order_retention.tests.search_fuzz import fuzz_search_orm, odd_values  # noqa: PLC0415

        salesperson = new_test_user(self.env, "dash_fuzz_sales", groups="sales_team.group_sale_salesman")
        values = odd_values(Random(20261204), 10) + ["overdue", "due", "done_month", ["overdue", "due"], ["nope"]]
        counts, crashes = fuzz_search_orm(
            self, self.env(user=salesperson), [("mail.activity", "retention_call_state")], values
        )
        self.assertFalse(crashes, "tracebacks:\n%s" % "\n".join(map(str, crashes[:20])))
        self.assertGreater(counts["answered"], 0)
        self.assertGreater(counts["refused"], 0)
        Activity = self.env["mail.activity"].with_user(salesperson)
        self.assertEqual(
            Activity.search_count([("retention_call_state", "in", ["overdue", "due"])]),
            Activity.search_count([("retention_call_state", "=", "overdue")])
            + Activity.search_count([("retention_call_state", "=", "due")]),
        )

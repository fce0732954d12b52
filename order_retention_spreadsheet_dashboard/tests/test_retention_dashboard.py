import base64
import json
import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL, file_open
from odoo.tools.safe_eval import safe_eval

LINK = re.compile(r"^\[[^\]]+\]\(odoo://view/(.*)\)$")
PIVOT_REF = re.compile(r"PIVOT(?:\.VALUE|\.HEADER)?\((\d+)")
TRANSLATED = re.compile(r'^=_t\("([^"]+)"\)$')
RANGE = re.compile(r"^Data!([A-Z])(\d+):([A-Z])(\d+)$")


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

    def _eval_domain(self, domain):
        """``domain`` as a list: a string one is evaluated as the web client does (today's date)."""
        if isinstance(domain, str):
            today = fields.Date.context_today(self.env.user)
            return safe_eval(domain, {"context_today": lambda: today, "relativedelta": relativedelta})
        return domain

    def _check_domain(self, model, domain):
        domain = self._eval_domain(domain)
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
                dimensions = pivot["rows"] + pivot["columns"]
                measures = [m["fieldName"] for m in pivot["measures"]]
                for name in [d["fieldName"] for d in dimensions] + measures:
                    if name != "__count":
                        self._check_path(model, name)
                groupby = [
                    f"{d['fieldName']}:{d['granularity']}" if d.get("granularity") else d["fieldName"]
                    for d in dimensions
                ]
                filtered = list(self._eval_domain(pivot["domain"]))
                for filter_id, matching in pivot["fieldMatching"].items():
                    self.assertIn(filter_id, filter_ids)
                    self._check_path(model, matching["chain"])
                    # what a set filter adds to the domain: a salesperson, a period
                    if filter_types[filter_id] == "relation":
                        filtered.append((matching["chain"], "in", [self.env.uid]))
                    else:
                        filtered.append((matching["chain"], ">=", fields.Date.today().replace(day=1)))
                # the server side of the data source: one read_group per pivot, each measure
                # with its field's aggregator (count_distinct for a many2one)
                fields_ = self.env[model]._fields
                aggregates = [
                    m if m == "__count" else f"{m}:{fields_[m].aggregator or 'count_distinct'}" for m in measures
                ]
                for domain in (self._eval_domain(pivot["domain"]), filtered):
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
                elif chart["type"] == "bar":
                    # a chart over the Data sheet: its ranges hold formulas
                    data_cells = self._cells("Data")
                    for ref in [d["dataRange"] for d in chart["dataSets"]] + [chart["labelRange"]]:
                        self.assertTrue([c for c in self._range(ref) if data_cells.get(c)], ref)
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

    def _range(self, ref):
        """The cells of a one-column or one-row range of the Data sheet, e.g. Data!B11:B15."""
        first_col, first_row, last_col, last_row = RANGE.match(ref).groups()
        return [
            f"{chr(col)}{row}"
            for col in range(ord(first_col), ord(last_col) + 1)
            for row in range(int(first_row), int(last_row) + 1)
        ]

    def _chart(self, title):
        charts = [
            figure
            for sheet in self.data["sheets"]
            for figure in sheet["figures"]
            if figure["data"]["type"] != "scorecard" and figure["data"]["title"]["text"] == title
        ]
        self.assertEqual(len(charts), 1, title)
        return charts[0]

    def _scorecard(self, title):
        cards = [
            figure["data"]
            for sheet in self.data["sheets"]
            for figure in sheet["figures"]
            if figure["data"]["type"] == "scorecard" and figure["data"]["title"]["text"] == title
        ]
        self.assertEqual(len(cards), 1, title)
        return cards[0]

    def test_status_chart_order_and_colours(self):
        """Customers by status: one bar per status in the order Active, Warm, Cold, Lost (the
        field's), each in the colour the module gives the status elsewhere (graphs, kanban,
        badges), titled; a click opens Customers by Status."""
        figure = self._chart("Customers by status")
        chart = figure["data"]
        self.assertEqual(chart["type"], "bar")
        self.assertTrue(chart["stacked"], "one bar per status, centred on its label")
        self.assertEqual(chart["axesDesign"]["y"]["title"]["text"], "Customers")
        selection = self.env["retention.customer"]._fields["retention_status"].selection
        self.assertEqual([value for value, _label in selection], ["active", "warm", "cold", "lost"])
        with file_open("order_retention/static/src/js/retention_graph_patch.js") as source:
            block = re.search(r"STATUS_COLORS = \{(.*?)\}", source.read(), re.S).group(1)
        module_colours = dict(re.findall(r'(\w+): "(#[0-9a-fA-F]{6})"', block))
        self.assertEqual(set(module_colours), {"active", "warm", "cold", "lost"})
        data_cells = self._cells("Data")
        labels = [data_cells.get(ref, "") for ref in self._range(chart["labelRange"])]
        # the first label cell is the title row of the data sets
        self.assertEqual(
            [TRANSLATED.match(label).group(1) for label in labels[1:]],
            [label for _value, label in selection],
        )
        self.assertEqual(len(chart["dataSets"]), len(selection))
        self.assertTrue(chart["dataSetsHaveTitle"])
        counts = self._pivot("Customers by Status")
        for index, (data_set, (value, label)) in enumerate(zip(chart["dataSets"], selection, strict=True)):
            with self.subTest(status=value):
                self.assertEqual(data_set["backgroundColor"], module_colours[value])
                title, *column = self._range(data_set["dataRange"])
                self.assertEqual(data_cells[title], f'=_t("{label}")')
                # its count on its own row (the row of its label), nothing on the others
                filled = [position for position, ref in enumerate(column) if data_cells.get(ref)]
                self.assertEqual(filled, [index])
                self.assertIn(
                    f'PIVOT.VALUE({counts["id"]},"__count","retention_status","{value}")', data_cells[column[index]]
                )
        self.assertEqual(
            self.data["chartOdooMenusReferences"][figure["id"]],
            "order_retention.res_partner_menu_retention_status",
        )

    def test_titles(self):
        """Every chart and scorecard has a title; every table is written cell by cell under its
        section title (a link), with short column titles and a total row, and no table is a
        PIVOT() (whose corner shows Odoo's "(#2) <the pivot's name>")."""
        for sheet in self.data["sheets"]:
            for figure in sheet["figures"]:
                self.assertTrue(figure["data"]["title"].get("text"), figure["id"])
        cells = self._cells("Dashboard")
        self.assertFalse([ref for ref, content in cells.items() if content.startswith("=PIVOT(")])
        headings = {ref: LINK.match(content) for ref, content in cells.items() if LINK.match(content)}
        self.assertEqual(len(headings), 10)
        for ref in headings:
            col, row = ref[0], int(ref[1:])
            header, total, first = (cells.get(f"{col}{row + offset}", "") for offset in (1, 2, 3))
            with self.subTest(section=ref):
                self.assertTrue(TRANSLATED.match(header), header)
                self.assertEqual(total, '=_t("Total")')
                self.assertTrue(re.match(r'^=PIVOT\.HEADER\(\d+,"#\w+",1\)$', first), first)
                right = cells.get(f"{chr(ord(col) + 1)}{row + 1}", "")
                self.assertTrue(TRANSLATED.match(right), right)
        for pivot in self.data["pivots"].values():
            self.assertTrue(pivot["name"])
        titles = {
            figure["data"]["title"]["text"]
            for sheet in self.data["sheets"]
            for figure in sheet["figures"]
            if figure["data"]["type"] != "scorecard"
        }
        self.assertEqual(titles, {"Customers by status", "Cancellation rate, last 12 months"})

    def test_cancellation_rate_chart(self):
        """Cancellation rate, last 12 months: a bar per month (oldest first) with labelled axes,
        over a pivot of the rate by month of the last twelve months that the Salesperson filter
        narrows and the Period filter leaves alone; what the pivot reads for a salesperson's
        orders of this month, two months ago and thirteen months ago."""
        figure = self._chart("Cancellation rate, last 12 months")
        chart = figure["data"]
        self.assertEqual(chart["type"], "bar")
        self.assertEqual(chart["axesDesign"]["x"]["title"]["text"], "Month the orders were created")
        self.assertEqual(chart["axesDesign"]["y"]["title"]["text"], "Cancelled orders (%)")
        self.assertTrue(chart["showValues"])
        self.assertEqual(
            self.data["chartOdooMenusReferences"][figure["id"]],
            "order_retention.retention_cancel_rate_report_menu",
        )
        pivot = self._pivot("Cancellation Rate by Month")
        self.assertEqual(pivot["model"], "retention.cancel.rate.report")
        self.assertEqual(pivot["rows"], [{"fieldName": "month", "granularity": "month", "order": "asc"}])
        self.assertNotIn("sortedColumn", pivot)
        filters = {f["label"]: f["id"] for f in self.data["globalFilters"]}
        self.assertEqual(pivot["fieldMatching"], {filters["Salesperson"]: {"chain": "user_id", "type": "many2one"}})
        # the chart's cells: twelve months and their rates, by position in the pivot
        data_cells = self._cells("Data")
        [data_set] = chart["dataSets"]
        _title, *rates = self._range(data_set["dataRange"])
        _title, *months = self._range(chart["labelRange"])
        self.assertEqual(len(rates), 12)
        for position, (month, rate) in enumerate(zip(months, rates, strict=True), start=1):
            self.assertEqual(data_cells[month], f'=PIVOT.HEADER({pivot["id"]},"#month:month",{position})')
            self.assertEqual(data_cells[rate], f'=PIVOT.VALUE({pivot["id"]},"cancel_rate","#month:month",{position})')
        data_sheet = next(s for s in self.data["sheets"] if s["name"] == "Data")
        number_formats = self.data["formats"]
        self.assertEqual({number_formats[str(data_sheet["formats"][ref])] for ref in rates}, {"0.0"})
        # the months: this one and the eleven before it
        today = fields.Date.context_today(self.env.user)
        first_month = today + relativedelta(months=-11, day=1)
        self.assertEqual(self._eval_domain(pivot["domain"]), [("month", ">=", first_month.isoformat())])
        # what it reads: a salesperson's orders, three this month (one cancelled), one two
        # months ago (cancelled), one thirteen months ago (out of the chart)
        seller = new_test_user(self.env, "dash_rate_seller", groups="sales_team.group_sale_salesman")
        partner = self.env["res.partner"].create({"name": "Rate Customer"})
        product = self.env["product.product"].create({"name": "Rate Product", "list_price": 10.0})
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "user_id": seller.id,
                    "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
                }
                for _i in range(5)
            ]
        )
        reason = self.env.ref("order_retention.cancel_reason_changed_mind")
        orders[2:4].with_context(retention_cancel_reason_id=reason.id, disable_cancel_warning=True).action_cancel()
        self.env.flush_all()
        now = fields.Datetime.now()
        for order, months_ago in ((orders[3], 2), (orders[4], 13)):
            self.env.cr.execute(
                SQL(
                    "UPDATE sale_order SET create_date = %s WHERE id = %s",
                    now + relativedelta(months=-months_ago),
                    order.id,
                )
            )
        self.env.invalidate_all(flush=False)
        Rate = self.env["retention.cancel.rate.report"]
        filtered = self._eval_domain(pivot["domain"]) + [("user_id", "in", seller.ids)]
        rows = Rate._read_group(
            filtered, ["month:month"], ["cancel_rate:avg", "created_count:sum"], order="month:month"
        )
        self.assertEqual(
            [
                (month.date() if hasattr(month, "date") else month, round(rate, 1), created)
                for month, rate, created in rows
            ],
            [
                ((now + relativedelta(months=-2)).date().replace(day=1), 100.0, 1),
                (now.date().replace(day=1), 33.3, 3),
            ],
        )

    def test_value_at_risk(self):
        """A Value at risk scorecard and a by-salesperson table linked to Missing
        Orders, summing the customers' stored value at risk."""
        field = self.env["retention.customer"]._fields["retention_value_at_risk"]
        self.assertEqual(field.type, "monetary")
        self.assertTrue(field.store)
        pivot = self._pivot("Value at Risk by Salesperson")
        self.assertEqual(pivot["model"], "retention.customer")
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
        # its table: the total, then a row per salesperson (most at risk first)
        self.assertIn(f'=PIVOT.VALUE({pivot["id"]},"retention_value_at_risk")', dashboard_cells.values())
        self.assertIn(f'=PIVOT.VALUE({pivot["id"]},"retention_value_at_risk","#user_id",1)', dashboard_cells.values())
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
        self.assertEqual(pivot["model"], "retention.customer")
        partners = self.env["res.partner"].create([{"name": f"Risk Customer {i}"} for i in range(2)])
        self.env["retention.customer"]._retention_rows(partners)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE retention_customer SET retention_status = 'cold', retention_value_at_risk = 100.5 "
                "WHERE partner_id IN %s",
                tuple(partners.ids),
            )
        )
        self.env.invalidate_all(flush=False)
        [(total, count)] = self.env["retention.customer"]._read_group(
            pivot["domain"] + [["partner_id", "in", partners.ids]],
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
        # its table: a column per measure, the total, then a row per salesperson
        for name in measures:
            self.assertIn(f'=PIVOT.VALUE({pivot["id"]},"{name}")', dashboard_cells.values())
            self.assertIn(f'=PIVOT.VALUE({pivot["id"]},"{name}","#user_id",1)', dashboard_cells.values())
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
        self.env["retention.customer"]._retention_rows(partners)
        self.env.flush_all()
        for partner, seller in zip(partners, (seller_a, seller_a, seller_b), strict=True):
            self.env.cr.execute(
                SQL(
                    "UPDATE retention_customer SET retention_waiting_since = CURRENT_DATE, "
                    "retention_queue_user_id = %s, "
                    "retention_value_at_risk = 250 WHERE partner_id = %s",
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

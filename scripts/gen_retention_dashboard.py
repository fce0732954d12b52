"""Write the Retention dashboard spreadsheet of order_retention_spreadsheet_dashboard.

    python3 scripts/gen_retention_dashboard.py

The dashboard is an o-spreadsheet JSON document (the format of Odoo 18's own
dashboards, e.g. spreadsheet_dashboard_sale): Odoo pivots, charts and scorecards over
the module's models, a *Period* filter (this month by default) and a *Salesperson*
filter. The workload section (retention.workload) is the retention-call queue as it
stands now: only the *Salesperson* filter applies to it. Generated so that a change
stays reviewable: edit this script, run it, commit both files.
"""

import json
import pathlib

OUT = (
    pathlib.Path(__file__).resolve().parent.parent
    / "order_retention_spreadsheet_dashboard/data/files/retention_dashboard.json"
)
PERIOD = "8b3f6a52-0f0e-4c34-9d43-2f4d7c1e6a01"
SALESPERSON = "5e0c2b8d-7a43-4f1e-b0f5-0a6c9d3e2b02"
ACTIVE_ANY = ["active", "in", [True, False]]
STATUSES = [("active", "Active"), ("warm", "Warm"), ("cold", "Cold"), ("lost", "Lost")]


def pivot(pid, name, model, domain, rows, measures, columns=(), period=None, user="user_id", sort=None):
    """One Odoo pivot data source; ``period``/``user``: the filters' fields; ``sort``: the
    measure the rows are sorted by, descending (default: the first one)."""
    matching = {SALESPERSON: {"chain": user, "type": "many2one"}}
    if period:
        matching[PERIOD] = {"chain": period[0], "type": period[1], "offset": 0}
    return {
        "type": "ODOO",
        "id": str(pid),
        "formulaId": str(pid),
        "name": name,
        "model": model,
        "domain": domain,
        "context": {"active_test": False} if ACTIVE_ANY in domain else {},
        "measures": [{"id": m, "fieldName": m} for m in measures],
        "rows": [{"fieldName": r} for r in rows],
        "columns": [{"fieldName": c} for c in columns],
        "sortedColumn": {"groupId": [[], []], "measure": sort or measures[0], "order": "desc"}
        if rows and not columns
        else None,
        "fieldMatching": matching,
    }


PIVOTS = [
    pivot(
        1,
        "Customers by Status",
        "res.partner",
        [["retention_status", "!=", False]],
        ["retention_status"],
        ["__count"],
    ),
    pivot(
        2,
        "Customers by Salesperson and Status",
        "res.partner",
        [["retention_status", "!=", False]],
        ["user_id"],
        ["__count"],
        columns=["retention_status"],
    ),
    pivot(
        3,
        "Missing-Order Alerts by Salesperson",
        "res.partner",
        [["retention_missing_order", "=", True]],
        ["user_id"],
        ["__count"],
    ),
    pivot(
        4,
        "Overdue Retention Calls",
        "mail.activity",
        [["retention_call_state", "=", "overdue"]],
        ["user_id"],
        ["__count"],
    ),
    pivot(
        5,
        "Retention Calls Due",
        "mail.activity",
        [["retention_call_state", "=", "due"]],
        ["user_id"],
        ["__count"],
    ),
    pivot(
        6,
        "Retention Calls Done This Month",
        "mail.activity",
        [ACTIVE_ANY, ["retention_call_state", "=", "done_month"]],
        ["user_id"],
        ["__count"],
    ),
    pivot(
        7,
        "Win-backs",
        "retention.status.history",
        [["is_win_back", "=", True]],
        ["user_id"],
        ["__count"],
        period=("date", "date"),
    ),
    pivot(
        8,
        "Top Cancellation Reasons",
        "retention.cancel.report",
        [["excluded", "=", False]],
        ["reason_id"],
        ["__count", "amount"],
        period=("cancel_date", "datetime"),
    ),
    pivot(
        9,
        "Cancellation Rate by Salesperson",
        "retention.cancel.rate.report",
        [],
        ["user_id"],
        ["cancel_rate", "cancelled_count", "created_count"],
        period=("month", "date"),
    ),
    pivot(
        10,
        "Retention Calls Done This Month by a Verified Call",
        "mail.activity",
        [
            ACTIVE_ANY,
            ["retention_call_state", "=", "done_month"],
            ["retention_call_id", "!=", False],
        ],
        ["user_id"],
        ["__count"],
    ),
    pivot(
        11,
        "Value at Risk by Salesperson",
        "res.partner",
        [["retention_status", "!=", False]],
        ["user_id"],
        ["retention_value_at_risk", "__count"],
    ),
    # the retention-call queue now, one row per salesperson: no Period filter
    pivot(
        12,
        "Workload by Salesperson",
        "retention.workload",
        [],
        ["user_id"],
        [
            "capacity",
            "open_count",
            "overdue_count",
            "waiting_count",
            "value_covered",
            "value_waiting",
        ],
        sort="value_waiting",
    ),
]


def link(title, model, view, domain, context, xml_id=None, views=("list",)):
    """A section title that opens the matching list/pivot/graph view.

    ``xml_id``: an action whose views are used (the spreadsheet's navigateTo loads
    it and keeps its view of each type of this link's, with this link's domain and
    context); ``views``: the other view types offered after ``view``."""
    types = list(dict.fromkeys([view, *views, "search"]))
    action = {
        "domain": domain,
        "context": context,
        "modelName": model,
        "views": [[False, view_type] for view_type in types],
    }
    if xml_id:
        action["xmlId"] = xml_id
    action = {"viewType": view, "action": action, "threshold": 0, "name": title}
    return "[%s](odoo://view/%s)" % (title, json.dumps(action, separators=(",", ":")))


def chart(fid, y, x, width, height, title, model, group_by, mode, domain):
    return {
        "id": fid,
        "x": x,
        "y": y,
        "width": width,
        "height": height,
        "tag": "chart",
        "data": {
            "title": {"text": title, "bold": True, "color": "#434343"},
            "background": "#FFFFFF",
            "legendPosition": "top" if mode == "pie" else "none",
            "metaData": {
                "groupBy": group_by,
                "measure": "__count",
                "order": "DESC",
                "resModel": model,
                "mode": mode,
            },
            "searchParams": {
                "comparison": None,
                "context": {},
                "domain": domain,
                "groupBy": group_by,
                "orderBy": [],
            },
            "type": "odoo_" + mode,
            "verticalAxisPosition": "left",
            "stacked": False,
            "fieldMatching": {SALESPERSON: {"chain": "user_id", "type": "many2one"}},
        },
    }


# the Dashboard sheet's columns A-I: a table's row headers in A, D, G; F and H are wide
# enough for an amount in millions (Value Covered, Value at Risk); rows are 23 px, a
# section's title row 40 px
COL_SIZES = [200, 90, 90, 200, 90, 120, 200, 120, 90]
ROW_H, TITLE_ROW_H = 23, 40
# scorecards: three rows of three, as wide as the columns, above the first section
CARD_PER_ROW, CARD_H, CARD_GAP = 3, 100, 10
CARD_W = (sum(COL_SIZES) - (CARD_PER_ROW - 1) * CARD_GAP) // CARD_PER_ROW


def scorecard(fid, slot, title, key, color, baseline="", descr=""):
    """Scorecard number ``slot`` (0-8: row slot // 3, column slot % 3).

    ``baseline``: a Data cell shown under the value as text, with ``descr``."""
    data = {
        "type": "scorecard",
        "title": {"text": title, "bold": True, "color": "#434343"},
        "background": color,
        "keyValue": key,
        "baseline": baseline,
        "baselineDescr": descr,
        "humanize": False,
    }
    if baseline:
        data["baselineMode"] = "text"
    return {
        "id": fid,
        "x": (slot % CARD_PER_ROW) * (CARD_W + CARD_GAP),
        "y": 10 + (slot // CARD_PER_ROW) * (CARD_H + CARD_GAP),
        "width": CARD_W,
        "height": CARD_H,
        "tag": "chart",
        "data": data,
    }


def main():
    cells, styles = {}, {}
    # the Data sheet holds the scorecards' values
    data_cells = {
        "A1": '=_t("Customers with a status")',
        "B1": '=PIVOT.VALUE(1,"__count")',
        "A2": '=_t("Lost customers")',
        "B2": '=PIVOT.VALUE(1,"__count","retention_status","lost")',
        "A3": '=_t("Missing-order alerts")',
        "B3": '=PIVOT.VALUE(3,"__count")',
        "A4": '=_t("Overdue retention calls")',
        "B4": '=PIVOT.VALUE(4,"__count")',
        "A5": '=_t("Win-backs")',
        "B5": '=PIVOT.VALUE(7,"__count")',
        "A6": '=_t("Cancellation rate")',
        "B6": '=PIVOT.VALUE(9,"cancel_rate")/100',
        "A7": '=_t("Value at risk")',
        "B7": '=FORMAT.LARGE.NUMBER(PIVOT.VALUE(11,"retention_value_at_risk"))',
        # retention calls done this month: share closed by a verified call
        "A8": '=_t("Done this month, closed by a verified call")',
        "B8": '=IFERROR(PIVOT.VALUE(10,"__count")/PIVOT.VALUE(6,"__count"),"-")',
        "C8": '=PIVOT.VALUE(10,"__count")&" / "&PIVOT.VALUE(6,"__count")',
        # the retention-call queue now (no Period filter)
        "A9": '=_t("Customers waiting for a call")',
        "B9": '=PIVOT.VALUE(12,"waiting_count")',
    }
    # Dashboard sheet: section title (row), then a PIVOT() table below it
    sections = [
        (
            16,
            "A",
            link(
                "Customers by Status",
                "res.partner",
                "pivot",
                [["retention_status", "!=", False]],
                {"group_by": ["retention_status"]},
            ),
        ),
        (
            36,
            "A",
            link(
                "Customers by Salesperson",
                "res.partner",
                "pivot",
                [["retention_status", "!=", False]],
                {
                    "pivot_row_groupby": ["user_id"],
                    "pivot_column_groupby": ["retention_status"],
                },
            ),
        ),
        (
            36,
            "G",
            link(
                "Value at Risk by Salesperson",
                "res.partner",
                "list",
                [["retention_status", "!=", False]],
                {},
                xml_id="order_retention.res_partner_action_missing_orders_by_value",
            ),
        ),
        (
            49,
            "A",
            link(
                "Overdue Retention Calls",
                "mail.activity",
                "list",
                [["retention_call_state", "=", "overdue"]],
                {},
            ),
        ),
        (
            49,
            "D",
            link(
                "Retention Calls Due",
                "mail.activity",
                "list",
                [["retention_call_state", "=", "due"]],
                {},
            ),
        ),
        (
            49,
            "G",
            link(
                "Done This Month",
                "mail.activity",
                "list",
                [ACTIVE_ANY, ["retention_call_state", "=", "done_month"]],
                {"active_test": False},
            ),
        ),
        (
            62,
            "A",
            link(
                "Workload by Salesperson",
                "retention.workload",
                "list",
                [],
                {},
                xml_id="order_retention.retention_workload_action",
                views=("list", "pivot", "graph"),
            ),
        ),
        (
            75,
            "A",
            link(
                "Missing-Order Alerts",
                "res.partner",
                "list",
                [["retention_missing_order", "=", True]],
                {},
            ),
        ),
        (
            75,
            "D",
            link(
                "Win-backs",
                "retention.status.history",
                "list",
                [["is_win_back", "=", True]],
                {},
            ),
        ),
        (
            88,
            "A",
            link(
                "Top Cancellation Reasons",
                "retention.cancel.report",
                "pivot",
                [["excluded", "=", False]],
                {"pivot_row_groupby": ["reason_id"]},
            ),
        ),
        (
            88,
            "E",
            link(
                "Cancellation Rate by Salesperson",
                "retention.cancel.rate.report",
                "pivot",
                [],
                {"pivot_row_groupby": ["user_id"]},
            ),
        ),
    ]
    for row, col, content in sections:
        cells[f"{col}{row}"] = {"content": content}
        styles[f"{col}{row}"] = 1
    # the workload is the queue now: say that the Period filter does not change it
    cells["D62"] = {"content": "Now: the Period filter does not apply"}
    styles["D62"] = 2
    title_rows = {row for row, _c, _t in sections}

    def top(row):
        """The y of ``row``'s top edge on the Dashboard sheet, in pixels."""
        return sum(TITLE_ROW_H if r in title_rows else ROW_H for r in range(1, row))

    first_title = min(title_rows)
    assert 10 + 3 * (CARD_H + CARD_GAP) - CARD_GAP < top(first_title), "scorecards overlap the first title"
    tables = [
        ("A37", "=PIVOT(2,10)"),
        ("G37", "=PIVOT(11,10)"),
        ("A50", "=PIVOT(4,10)"),
        ("D50", "=PIVOT(5,10)"),
        ("G50", "=PIVOT(6,10)"),
        ("A63", "=PIVOT(12,10)"),
        ("A76", "=PIVOT(3,10)"),
        ("D76", "=PIVOT(7,10)"),
        ("A89", "=PIVOT(8,10)"),
        ("E89", "=PIVOT(9,10)"),
    ]
    for ref, formula in tables:
        cells[ref] = {"content": formula}
    figures = [
        # first row: the customers; second row: the work to do (now); third row: what
        # was done (this month, the period)
        scorecard("a1e0c6f0-0001-4a5b-8c1d-000000000001", 0, "Customers", "Data!B1", "#EFF6FF"),
        scorecard("a1e0c6f0-0002-4a5b-8c1d-000000000002", 1, "Lost", "Data!B2", "#FEF2F2"),
        scorecard(
            "a1e0c6f0-0008-4a5b-8c1d-000000000008",
            2,
            "Value at risk",
            "Data!B7",
            "#FEF2F2",
        ),
        scorecard(
            "a1e0c6f0-0003-4a5b-8c1d-000000000003",
            3,
            "Missing-order alerts",
            "Data!B3",
            "#FFF7ED",
        ),
        scorecard(
            "a1e0c6f0-0004-4a5b-8c1d-000000000004",
            4,
            "Overdue calls",
            "Data!B4",
            "#FFF7ED",
        ),
        scorecard(
            "a1e0c6f0-0010-4a5b-8c1d-000000000010",
            5,
            "Customers waiting for a call",
            "Data!B9",
            "#FFF7ED",
        ),
        scorecard(
            "a1e0c6f0-0009-4a5b-8c1d-000000000009",
            6,
            "Done this month by a verified call",
            "Data!B8",
            "#F0FDF4",
            baseline="Data!C8",
            descr="calls",
        ),
        scorecard(
            "a1e0c6f0-0005-4a5b-8c1d-000000000005",
            7,
            "Win-backs (period)",
            "Data!B5",
            "#F0FDF4",
        ),
        scorecard(
            "a1e0c6f0-0006-4a5b-8c1d-000000000006",
            8,
            "Cancellation rate (period)",
            "Data!B6",
            "#F5F3FF",
        ),
        chart(
            "a1e0c6f0-0007-4a5b-8c1d-000000000007",
            top(first_title + 1),
            0,
            1000,
            360,
            "",
            "res.partner",
            ["retention_status"],
            "bar",
            [["retention_status", "!=", False]],
        ),
    ]
    dashboard = {
        "id": "sheet1",
        "name": "Dashboard",
        "colNumber": len(COL_SIZES),
        "rowNumber": max(title_rows) + 13,
        "rows": {str(r - 1): {"size": 40} for r, _c, _t in sections},
        "cols": {str(i): {"size": size} for i, size in enumerate(COL_SIZES)},
        "merges": [],
        "cells": cells,
        "styles": styles,
        "formats": {},
        "borders": {},
        "conditionalFormats": [],
        "figures": figures,
        "tables": [],
        "areGridLinesVisible": False,
        "isVisible": True,
        "headerGroups": {"ROW": [], "COL": []},
        "dataValidationRules": [],
        "comments": {},
    }
    data_sheet = dict(
        dashboard,
        id="sheet2",
        name="Data",
        colNumber=3,
        rowNumber=10,
        rows={},
        cols={"0": {"size": 220}},
        cells={ref: {"content": c} for ref, c in data_cells.items()},
        styles={},
        formats={"B6": 1, "B8": 2},
        figures=[],
        areGridLinesVisible=True,
        isVisible=False,
    )
    document = {
        "version": 21,
        "sheets": [dashboard, data_sheet],
        "styles": {
            "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
            "2": {"textColor": "#6b7280", "italic": True},
        },
        "formats": {"1": "0.0%", "2": "0%"},
        "borders": {},
        "revisionId": "START_REVISION",
        "uniqueFigureIds": True,
        "settings": {
            "locale": {
                "name": "English (US)",
                "code": "en_US",
                "thousandsSeparator": ",",
                "decimalSeparator": ".",
                "dateFormat": "mm/dd/yyyy",
                "timeFormat": "hh:mm:ss",
                "formulaArgSeparator": ",",
                "weekStart": 7,
            }
        },
        "pivots": {p["id"]: p for p in PIVOTS},
        "pivotNextId": len(PIVOTS) + 1,
        "customTableStyles": {},
        "odooVersion": 12,
        "globalFilters": [
            {
                "id": PERIOD,
                "type": "date",
                "label": "Period",
                "rangeType": "fixedPeriod",
                "defaultValue": "this_month",
            },
            {
                "id": SALESPERSON,
                "type": "relation",
                "label": "Salesperson",
                "modelName": "res.users",
                "defaultValue": [],
                "defaultValueDisplayNames": [],
            },
        ],
        "lists": {},
        "listNextId": 1,
        "chartOdooMenusReferences": {
            figures[-1]["id"]: "order_retention.res_partner_menu_retention_status",
        },
    }
    for p in PIVOTS:
        if p["sortedColumn"] is None:
            del p["sortedColumn"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

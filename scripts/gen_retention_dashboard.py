"""Write the Retention dashboard spreadsheet of order_retention_spreadsheet_dashboard.

    python3 scripts/gen_retention_dashboard.py

The dashboard is an o-spreadsheet JSON document (the format of Odoo 18's own
dashboards, e.g. spreadsheet_dashboard_sale): Odoo pivots, charts and scorecards over
the module's models, a *Period* filter (this month by default) and a *Salesperson*
filter. The workload section (retention.workload) is the retention-call queue as it
stands now: only the *Salesperson* filter applies to it, as to the two charts (customers
per status, now; the cancellation rate of the last twelve months). The tables are written
cell by cell (PIVOT.HEADER / PIVOT.VALUE under short column titles), as Odoo's own
dashboards do, not as PIVOT() tables, whose corner shows "(#2) <the pivot's name>".
Generated so that a change stays reviewable: edit this script, run it, commit both files.
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
# the colour of each status everywhere else in Order Retention (kanban, badges, graphs):
# STATUS_COLORS of order_retention/static/src/js/retention_graph_patch.js
STATUS_COLORS = {"active": "#61c36e", "warm": "#dc8534", "cold": "#5794dd", "lost": "#a2a2a2"}
# the months the cancellation-rate chart shows: this one and the eleven before it (a domain that
# the web client evaluates when the dashboard opens, as an action's)
LAST_12_MONTHS = "[('month', '>=', (context_today() + relativedelta(months=-11, day=1)).strftime('%Y-%m-%d'))]"


def pivot(pid, name, model, domain, rows, measures, columns=(), period=None, user="user_id", sort=None):
    """One Odoo pivot data source; ``period``/``user``: the filters' fields; ``rows``: field
    names, or dimensions ({"fieldName", "granularity", "order"}); ``sort``: the measure the
    rows are sorted by, descending (default: the first one; False: the rows' own order)."""
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
        "context": {"active_test": False} if isinstance(domain, list) and ACTIVE_ANY in domain else {},
        "measures": [{"id": m, "fieldName": m} for m in measures],
        "rows": [r if isinstance(r, dict) else {"fieldName": r} for r in rows],
        "columns": [{"fieldName": c} for c in columns],
        "sortedColumn": {"groupId": [[], []], "measure": sort or measures[0], "order": "desc"}
        if rows and not columns and sort is not False
        else None,
        "fieldMatching": matching,
    }


PIVOTS = [
    pivot(
        1,
        "Customers by Status",
        "retention.customer",
        [["retention_status", "!=", False]],
        ["retention_status"],
        ["__count"],
    ),
    pivot(
        2,
        "Customers by Salesperson and Status",
        "retention.customer",
        [["retention_status", "!=", False]],
        ["user_id"],
        ["__count"],
        columns=["retention_status"],
    ),
    pivot(
        3,
        "Missing-Order Alerts by Salesperson",
        "retention.customer",
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
        # order_id: the cancelled orders (count_distinct), not their lines
        ["order_id", "amount"],
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
        "retention.customer",
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
    # the cancellation-rate chart: the last twelve months, oldest first; no Period filter
    pivot(
        13,
        "Cancellation Rate by Month",
        "retention.cancel.rate.report",
        LAST_12_MONTHS,
        [{"fieldName": "month", "granularity": "month", "order": "asc"}],
        ["cancel_rate", "cancelled_count", "created_count"],
        sort=False,
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


TITLE = {"bold": True, "color": "#434343"}


def figure(fid, x, y, width, height, data):
    return {"id": fid, "x": x, "y": y, "width": width, "height": height, "tag": "chart", "data": data}


def status_chart(fid, x, y, width, height, top):
    """Customers per status: one bar per status, in the order Active, Warm, Cold, Lost, each in
    its status colour (an Odoo chart has one colour per data set and sorts the bars by count).

    A bar chart over the Data sheet rows ``top`` (the titles) to ``top + 4``: column A the
    statuses, then one column (data set) per status holding its count on its own row, empty
    elsewhere; stacked, so that each bar stands centred on its status. Returns the figure and
    its Data cells."""
    cells = {f"A{top}": '=_t("Status")'}
    data_sets = []
    for index, (value, label) in enumerate(STATUSES):
        col, row = chr(ord("B") + index), top + 1 + index
        cells[f"A{row}"] = cells[f"{col}{top}"] = f'=_t("{label}")'
        # +0: a status without customers is a bar of 0, not a missing status
        cells[f"{col}{row}"] = f'=PIVOT.VALUE(1,"__count","retention_status","{value}")+0'
        data_sets.append(
            {"dataRange": f"Data!{col}{top}:{col}{top + 4}", "yAxisId": "y", "backgroundColor": STATUS_COLORS[value]}
        )
    data = {
        "type": "bar",
        "title": {"text": "Customers by status", **TITLE},
        "background": "#FFFFFF",
        "dataSets": data_sets,
        "dataSetsHaveTitle": True,
        "labelRange": f"Data!A{top}:A{top + 4}",
        "legendPosition": "none",
        "stacked": True,
        "aggregated": False,
        "showValues": True,
        "axesDesign": {"y": {"title": {"text": "Customers"}}},
    }
    return figure(fid, x, y, width, height, data), cells


def cancel_rate_chart(fid, x, y, width, height, top):
    """The cancellation rate of the last twelve months, a bar per month with its rate (one
    decimal, the rate field's), over the Data sheet rows ``top`` (the titles) to ``top + 12``:
    the months and rates of pivot 13, by position (the months without orders are left out).
    Returns the figure, its Data cells and their number formats."""
    cells = {f"A{top}": '=_t("Month")', f"B{top}": '=_t("Cancellation rate (%)")'}
    formats = {}
    for position in range(1, 13):
        cells[f"A{top + position}"] = f'=PIVOT.HEADER(13,"#month:month",{position})'
        cells[f"B{top + position}"] = f'=PIVOT.VALUE(13,"cancel_rate","#month:month",{position})'
        formats.update({f"A{top + position}": MONTH, f"B{top + position}": RATE})
    data = {
        "type": "bar",
        "title": {"text": "Cancellation rate, last 12 months", **TITLE},
        "background": "#FFFFFF",
        "dataSets": [{"dataRange": f"Data!B{top}:B{top + 12}", "yAxisId": "y", "backgroundColor": "#8E7CC3"}],
        "dataSetsHaveTitle": True,
        "labelRange": f"Data!A{top}:A{top + 12}",
        "legendPosition": "none",
        "stacked": False,
        "aggregated": False,
        "showValues": True,
        "axesDesign": {
            "x": {"title": {"text": "Month the orders were created"}},
            "y": {"title": {"text": "Cancelled orders (%)"}},
        },
    }
    return figure(fid, x, y, width, height, data), cells, formats


# the Dashboard sheet's columns A-I: a table's row headers in A, D, G; F and H are wide
# enough for an amount in millions (Value Covered, Value at Risk); rows are 23 px, a
# section's title row 40 px
COL_SIZES = [200, 90, 90, 200, 90, 120, 200, 120, 90]
ROW_H, TITLE_ROW_H = 23, 40
# scorecards: three rows of three, as wide as the columns, above the charts
CARD_PER_ROW, CARD_H, CARD_GAP = 3, 100, 10
CARD_W = (sum(COL_SIZES) - (CARD_PER_ROW - 1) * CARD_GAP) // CARD_PER_ROW
# the two charts side by side, from this row on, above the first section
CHART_ROW, CHART_H, CHART_GAP = 16, 360, 20
CHART_W = (sum(COL_SIZES) - CHART_GAP) // 2
# the Dashboard sheet's styles: a section title, a note, a table's column title (left: the
# row labels; right: the figures), its total row (label, figures)
HEADING, NOTE, COL_TITLE, NUM_TITLE, TOTAL, NUM_TOTAL = 1, 2, 3, 4, 5, 6
# the number formats: a percentage, a whole one, a rate in percent (one decimal, as the
# Cancellation Rate report's), a month
PERCENT, WHOLE_PERCENT, RATE, MONTH = 1, 2, 3, 4
TABLE_ROWS = 10  # the rows a table shows under its total (the first ten in the pivot's order)


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


def table(cells, styles, formats, ref, pivot_id, dimension, label, columns):
    """A pivot's table from ``ref`` (the cell under its section title) as Odoo's own dashboards
    write theirs, instead of a PIVOT() (whose corner says "(#2) <the pivot's name>"): a row of
    short column titles, the total, then the first rows of ``dimension`` in the pivot's order.

    ``label``: the title of the row labels' column; ``columns``: (title, measure, the column's
    PIVOT.VALUE arguments, e.g. ',"retention_status","active"'[, its number format]), one per
    column to the right."""
    col, row = ref[0], int(ref[1:])

    def at(offset, line):
        return f"{chr(ord(col) + offset)}{line}"

    cells[at(0, row)] = f'=_t("{label}")'
    styles[at(0, row)] = COL_TITLE
    cells[at(0, row + 1)] = '=_t("Total")'
    styles[at(0, row + 1)] = TOTAL
    for position in range(1, TABLE_ROWS + 1):
        cells[at(0, row + 1 + position)] = f'=PIVOT.HEADER({pivot_id},"#{dimension}",{position})'
    for offset, (title, measure, args, *number_format) in enumerate(columns, start=1):
        if number_format:
            formats.update({at(offset, line): number_format[0] for line in range(row + 1, row + 2 + TABLE_ROWS)})
        cells[at(offset, row)] = f'=_t("{title}")'
        styles[at(offset, row)] = NUM_TITLE
        cells[at(offset, row + 1)] = f'=PIVOT.VALUE({pivot_id},"{measure}"{args})'
        styles[at(offset, row + 1)] = NUM_TOTAL
        for position in range(1, TABLE_ROWS + 1):
            cells[at(offset, row + 1 + position)] = (
                f'=PIVOT.VALUE({pivot_id},"{measure}","#{dimension}",{position}{args})'
            )


def main():
    cells, styles, formats = {}, {}, {}
    # the Data sheet holds the scorecards' values and the charts' data
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
    # Dashboard sheet: section title (row), then its table below it
    sections = [
        (
            36,
            "A",
            link(
                "Customers by Salesperson and Status",
                "retention.customer",
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
                "retention.customer",
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
                "Calls Done This Month",
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
                "retention.customer",
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
            "D",
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
        styles[f"{col}{row}"] = HEADING
    # the workload is the queue now: say that the Period filter does not change it
    cells["D62"] = {"content": '=_t("Now: the Period filter does not apply")'}
    styles["D62"] = NOTE
    title_rows = {row for row, _c, _t in sections}

    def top(row):
        """The y of ``row``'s top edge on the Dashboard sheet, in pixels."""
        return sum(TITLE_ROW_H if r in title_rows else ROW_H for r in range(1, row))

    assert 10 + 3 * (CARD_H + CARD_GAP) - CARD_GAP < top(CHART_ROW), "scorecards overlap the charts"
    assert top(CHART_ROW) + CHART_H < top(min(title_rows)), "charts overlap the first title"
    salesperson = "Salesperson"
    tables = [
        (
            "A37",
            2,
            "user_id",
            salesperson,
            [(label, "__count", f',"retention_status","{value}"') for value, label in STATUSES]
            + [("Customers", "__count", "")],
        ),
        (
            "G37",
            11,
            "user_id",
            salesperson,
            [("Value at risk", "retention_value_at_risk", ""), ("Customers", "__count", "")],
        ),
        ("A50", 4, "user_id", salesperson, [("Calls", "__count", "")]),
        ("D50", 5, "user_id", salesperson, [("Calls", "__count", "")]),
        ("G50", 6, "user_id", salesperson, [("Calls", "__count", "")]),
        (
            "A63",
            12,
            "user_id",
            salesperson,
            [
                ("Capacity", "capacity", ""),
                ("Open", "open_count", ""),
                ("Overdue", "overdue_count", ""),
                ("Waiting", "waiting_count", ""),
                ("Value covered", "value_covered", ""),
                ("Value waiting", "value_waiting", ""),
            ],
        ),
        ("A76", 3, "user_id", salesperson, [("Alerts", "__count", "")]),
        ("D76", 7, "user_id", salesperson, [("Win-backs", "__count", "")]),
        ("A89", 8, "reason_id", "Reason", [("Orders", "order_id", ""), ("Amount", "amount", "")]),
        (
            "D89",
            9,
            "user_id",
            salesperson,
            [
                ("Rate (%)", "cancel_rate", "", RATE),
                ("Cancelled", "cancelled_count", ""),
                ("Created", "created_count", ""),
            ],
        ),
    ]
    table_cells = {}
    for ref, pivot_id, dimension, label, columns in tables:
        table(table_cells, styles, formats, ref, pivot_id, dimension, label, columns)
    cells.update({ref: {"content": formula} for ref, formula in table_cells.items()})
    status, status_cells = status_chart("a1e0c6f0-0007-4a5b-8c1d-000000000007", 0, top(CHART_ROW), CHART_W, CHART_H, 11)
    cancel_rate, cancel_rate_cells, cancel_rate_formats = cancel_rate_chart(
        "a1e0c6f0-0011-4a5b-8c1d-000000000011",
        CHART_W + CHART_GAP,
        top(CHART_ROW),
        CHART_W,
        CHART_H,
        17,
    )
    data_cells.update(status_cells)
    data_cells.update(cancel_rate_cells)
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
        status,
        cancel_rate,
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
        "formats": formats,
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
        colNumber=6,
        rowNumber=30,
        rows={},
        cols={"0": {"size": 220}},
        cells={ref: {"content": c} for ref, c in data_cells.items()},
        styles={},
        formats={"B6": PERCENT, "B8": WHOLE_PERCENT, **cancel_rate_formats},
        figures=[],
        areGridLinesVisible=True,
        isVisible=False,
    )
    document = {
        "version": 21,
        "sheets": [dashboard, data_sheet],
        "styles": {
            str(HEADING): {"textColor": "#01666b", "bold": True, "fontSize": 16},
            str(NOTE): {"textColor": "#6b7280", "italic": True},
            str(COL_TITLE): {"textColor": "#434343", "bold": True},
            str(NUM_TITLE): {"textColor": "#434343", "bold": True, "align": "right"},
            str(TOTAL): {"textColor": "#434343", "bold": True},
            str(NUM_TOTAL): {"textColor": "#434343", "bold": True, "align": "right"},
        },
        "formats": {str(PERCENT): "0.0%", str(WHOLE_PERCENT): "0%", str(RATE): "0.0", str(MONTH): "mmm yyyy"},
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
        # a click on a chart opens the screen behind it
        "chartOdooMenusReferences": {
            status["id"]: "order_retention.res_partner_menu_retention_status",
            cancel_rate["id"]: "order_retention.retention_cancel_rate_report_menu",
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

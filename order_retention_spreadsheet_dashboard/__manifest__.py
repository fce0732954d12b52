{
    "name": "Order Retention - Dashboard",
    "summary": "Retention dashboard in the Dashboards app: customers per status, "
    "missing-order alerts, retention calls, win-backs, cancellations",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Productivity/Dashboard",
    "website": "https://example.com/order_retention",
    "author": "order_retention maintainers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["spreadsheet_dashboard", "order_retention"],
    "data": [
        "data/dashboards.xml",
    ],
}

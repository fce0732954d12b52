{
    "name": "Order Retention - Email Marketing",
    "summary": "Saved Email Marketing recipient filters: missing an order, lost, expected to order soon, won back",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Marketing/Email Marketing",
    "website": "https://example.com/order_retention",
    "author": "order_retention maintainers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["mass_mailing", "order_retention"],
    "data": [
        "data/mailing_filter_data.xml",
    ],
}

{
    "name": "Order Retention - VoIP OCA",
    "summary": "Retention calls in OCA's softphone (voip_oca): listed with its call activities, its SIP user matched "
    "to the telephony's agent; a call placed there still needs the telephony's record to verify",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Sales/Sales",
    "website": "https://example.com/order_retention",
    "author": "order_retention maintainers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["voip_oca", "order_retention"],
}

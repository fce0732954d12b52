{
    "name": "Order Retention",
    "summary": "Customer ordering cadence, missing-order alerts, retention follow-up calls "
    "verified by real phone calls, duplicate quotation clean-up and cancellation reasons",
    "version": "18.0.1.6.0",
    "development_status": "Beta",
    "category": "Sales/Sales",
    "website": "https://example.com/order_retention",
    "author": "order_retention maintainers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "external_dependencies": {
        "python": ["numpy", "pandas", "scipy", "phonenumbers"],
    },
    "depends": ["sale_management", "sms", "phone_validation", "mail"],
    "data": [
        "security/order_retention_security.xml",
        "security/ir.model.access.csv",
        # retention cycle
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "wizards/retention_backtest_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
        "views/retention_status_history_views.xml",
        "views/retention_model_run_views.xml",
        "views/sale_order_retention_views.xml",
        # call log
        "data/mail_activity_type_call_data.xml",
        "views/retention_call_views.xml",
        "views/retention_telephony_views.xml",
        "views/res_users_views.xml",
        "views/retention_lost_request_views.xml",
        # quotation hygiene
        "data/retention_cancel_reason_data.xml",
        "wizards/sale_order_cancel_views.xml",
        "wizards/sale_order_retention_duplicate_views.xml",
        "views/retention_cancel_reason_views.xml",
        "views/sale_order_hygiene_views.xml",
        "views/retention_cancel_report_views.xml",
        "views/retention_cancel_line_report_views.xml",
        # why customers leave
        "data/retention_churn_reason_data.xml",
        "views/retention_churn_views.xml",
        # the salesperson's queue
        "views/mail_activity_retention_views.xml",
        # the queue that fits the team
        "data/retention_low_touch_data.xml",
        "views/retention_queue_views.xml",
        # menus last
        "views/order_retention_menus.xml",
    ],
    "demo": [
        "demo/order_retention_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "assets": {
        "web.assets_backend": [
            "order_retention/static/src/js/activity_outcome.js",
            "order_retention/static/src/js/activity_menu_patch.js",
            "order_retention/static/src/js/pbx_token_dialog.js",
            "order_retention/static/src/js/retention_duration.js",
            "order_retention/static/src/scss/retention_kanban.scss",
            "order_retention/static/src/xml/pbx_token_dialog.xml",
            "order_retention/static/src/xml/activity_retention.xml",
        ],
        # graph and pivot views are loaded lazily
        "web.assets_backend_lazy": [
            "order_retention/static/src/js/retention_graph_patch.js",
        ],
        "web.assets_tests": [
            "order_retention/static/src/js/tours/*.js",
        ],
    },
}

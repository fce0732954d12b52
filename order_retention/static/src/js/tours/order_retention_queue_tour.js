/** @odoo-module **/
// The salesperson's day (demo / demo): My Retention Calls -> a customer -> "mark done" refused with
// the reason -> back in the queue, which shows the status and the explanation.
// The manager's settings round (admin): save Settings, then cancel a quotation: the reason is still asked.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("order_retention_salesperson_tour", {
    url: "/odoo/action-order_retention.mail_activity_action_retention_calls",
    steps: () => [
        {
            content: "My Retention Calls lists the lapsed customer, open the line",
            trigger: ".o_list_view .o_data_row:contains('Lapsed Hardware Store') td[name='retention_partner_id']",
            run: "click",
        },
        {
            content: "The customer opens; its retention call waits in the chatter: try to mark it done",
            trigger: ".o_form_view .o-mail-Activity:contains('Retention call') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "Done & Schedule Next",
            trigger: ".o-mail-ActivityMarkAsDone button:contains('Done & Schedule Next')",
            run: "click",
        },
        {
            content: "Refused, and Odoo says why: its only call (12 s) was before the call was scheduled",
            trigger: ".modal:contains('cannot be marked done'):contains('Lapsed Hardware Store: no verified call since the activity was created')",
        },
        {
            content: "Close the message",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Back to My Retention Calls",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('My Retention Calls')",
            run: "click",
        },
        {
            content: "The queue shows the customer's status",
            trigger: ".o_data_row:contains('Lapsed Hardware Store') td[name='retention_status']:contains('Lost')",
        },
        {
            content: "... and the explanation with the numbers",
            trigger: ".o_data_row:contains('Lapsed Hardware Store') td[name='retention_explanation']:contains('missing order')",
        },
    ],
});

registry.category("web_tour.tours").add("order_retention_settings_tour", {
    url: "/odoo/action-sale.action_sale_config_settings",
    steps: () => [
        {
            content: "Settings load the cancellation reason rule as stored: on",
            trigger: "#order_retention_cancel_reason_required input[type='checkbox']:checked",
        },
        {
            content: "Change the warm follow-up interval",
            trigger: "div[name='retention_warm_interval_days'] input",
            run: "edit 15",
        },
        {
            content: "Save the settings (the page reloads)",
            trigger: ".o_control_panel .o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Saved: the interval is stored and the rule is still on",
            trigger: "div[name='retention_warm_interval_days'] input:value(15)",
        },
        {
            content: "The reason rule is still checked",
            trigger: "#order_retention_cancel_reason_required input[type='checkbox']:checked",
        },
        {
            content: "Go to the quotations",
            trigger: ".o_main_navbar .o_menu_sections button:contains('Orders')",
            run: "click",
        },
        {
            content: "Quotations",
            trigger: ".dropdown-menu .dropdown-item:contains('Quotations')",
            run: "click",
        },
        {
            content: "Open the tour's quotation",
            trigger: ".o_list_view .o_data_row:contains('Tour Cancel Customer') td[name='partner_id']",
            run: "click",
        },
        {
            content: "Cancel it",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_cancel']",
            run: "click",
        },
        {
            content: "The reason is still asked",
            trigger: ".modal div[name='retention_cancel_reason_id'] input",
            run: "edit Changed",
        },
        {
            content: "Pick 'Changed mind'",
            trigger: ".o-autocomplete--dropdown-item:contains('Changed mind')",
            run: "click",
        },
        {
            content: "Confirm the cancellation",
            trigger: ".modal .modal-footer button[name='action_cancel']",
            run: "click",
        },
        {
            content: "The quotation is cancelled with its reason",
            trigger: ".o_form_view .alert-secondary:contains('Changed mind')",
        },
    ],
});

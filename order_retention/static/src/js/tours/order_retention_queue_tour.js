/** @odoo-module **/
// The salesperson's day (demo / demo): My Retention Calls -> a customer -> "mark done" refused with
// the reason (one step: Mark Done opens the outcome dialog) -> back in the queue, which shows the status and the explanation -> another customer,
// called for 95 s: the outcome is recorded with a reason.
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
            content: "The customer opens on its Retention tab",
            trigger: ".o_form_view .o_notebook .nav-link.active:contains('Retention')",
        },
        {
            content: "Its retention call waits in the chatter, without Cancel (a salesperson cannot remove it)",
            trigger: ".o_form_view .o-mail-Activity:contains('Retention call'):has(.o-mail-Activity-markDone):not(:has(button:contains('Cancel')))",
        },
        {
            content: "Mark it done: the outcome dialog opens at once (one step)",
            trigger: ".o_form_view .o-mail-Activity:contains('Retention call') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "The outcome dialog opens: nobody answered",
            trigger: ".modal .o_field_widget[name='outcome'] input[data-value='no_answer']",
            run: "click",
        },
        {
            content: "Mark done",
            trigger: ".modal button[name='action_done']",
            run: "click",
        },
        {
            content: "Refused, and Odoo says why: its only call (12 s) was before the call was scheduled",
            trigger: ".modal:contains('cannot be marked done'):contains('Lapsed Hardware Store: no verified call since the activity was created')",
        },
        {
            content: "Close the message",
            trigger: ".modal:contains('cannot be marked done') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Leave the outcome dialog",
            trigger: ".modal:contains('Retention call outcome') button:contains('Discard')",
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
        {
            content: "The telephony logged a 95 s call with the lost print shop: open it",
            trigger: ".o_data_row:contains('Lost Print Shop') td[name='retention_partner_id']",
            run: "click",
        },
        {
            content: "Mark its retention call done",
            trigger: ".o_form_view .o-mail-Activity:contains('Retention call') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "Reached: why is the customer not ordering?",
            trigger: ".modal:contains('Retention call outcome') .o_field_widget[name='churn_reason_id'] input",
            run: "edit Price",
        },
        {
            content: "Price",
            trigger: ".o-autocomplete--dropdown-item:contains('Price')",
            run: "click",
        },
        {
            content: "Next step: the customer expects to order",
            trigger: ".modal .o_field_widget[name='next_step'] input[data-value='expects_order']",
            run: "click",
        },
        {
            content: "What was said",
            trigger: ".modal .o_field_widget[name='feedback'] textarea",
            run: "edit Found a cheaper supplier; will compare our new price list.",
        },
        {
            content: "Mark done with the outcome",
            trigger: ".modal button[name='action_done']",
            run: "click",
        },
        {
            content: "Closed: the chatter names the call and the reason",
            trigger: ".o-mail-Message:contains('Closed by a verified call of 95 s'):contains('Why not ordering: Price')",
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

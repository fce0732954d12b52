/** @odoo-module **/
// A sales manager's round: Missing Orders -> a lapsed customer -> the explanation -> the
// retention call activity -> "mark done" without a call is refused.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("order_retention_manager_tour", {
    url: "/odoo/action-order_retention.res_partner_action_missing_orders",
    steps: () => [
        {
            content: "Missing Orders lists the lapsed customer",
            trigger: ".o_list_view .o_data_row:contains('Lapsed Hardware Store') td[name='display_name']",
            run: "click",
        },
        {
            content: "Open the Retention page of the customer",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Retention')",
            run: "click",
        },
        {
            content: "The explanation gives the numbers",
            trigger: ".o_form_view .tab-pane.active .alert-warning:contains('silent for'):contains('missing order')",
        },
        {
            content: "The retention call waits in the chatter: try to mark it done",
            trigger: ".o-mail-Activity:contains('Retention call') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "The outcome dialog asks what happened: why is the customer not ordering?",
            trigger: ".modal:contains('Retention call outcome') .o_field_widget[name='churn_reason_id'] input",
            run: "edit Price",
        },
        {
            content: "Pick the reason",
            trigger: ".o-autocomplete--dropdown-item:contains('Price')",
            run: "click",
        },
        {
            content: "Next step: expects to order",
            trigger: ".modal .o_field_widget[name='next_step'] input[data-value='expects_order']",
            run: "click",
        },
        {
            content: "Mark done with this outcome",
            trigger: ".modal button[name='action_done']",
            run: "click",
        },
        {
            content: "Refused: no logged call",
            trigger: ".modal:contains('cannot be marked done'):contains('Lapsed Hardware Store')",
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
            content: "The activity is still open",
            trigger: ".o-mail-Activity:contains('Retention call')",
        },
        {
            content: "Look for duplicate unpaid quotations of this customer",
            trigger: "button[name='action_retention_find_duplicate_quotations']",
            run: "click",
        },
        {
            content: "Find duplicates (a preview: nothing changes yet)",
            trigger: ".modal button[name='action_preview']",
            run: "click",
        },
        {
            content: "The two quotations form a group with a proposed keeper",
            trigger: ".modal .o_data_row:contains('Lapsed Hardware Store'):contains('Quotation Sent')",
        },
        {
            content: "Cancel the duplicates",
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button.btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "Done",
            trigger: ".modal .alert-success",
        },
    ],
});

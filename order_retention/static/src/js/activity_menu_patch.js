/** @odoo-module **/
// The "Retention Calls" entry of the activity menu (res.users._get_activity_groups) opens the
// salesperson's queue, My Retention Calls, with the clicked filter (late, today, future).
import { ActivityMenu } from "@mail/core/web/activity_menu";
import { patch } from "@web/core/utils/patch";

const FILTERS = {
    all: ["overdue", "today"],
    overdue: ["overdue"],
    today: ["today"],
    upcoming_all: ["upcoming"],
};

patch(ActivityMenu.prototype, {
    openActivityGroup(group, filter = "all") {
        if (!group.retention_action) {
            return super.openActivityGroup(...arguments);
        }
        this.dropdown.close();
        const context = { search_default_my: 1 };
        for (const name of FILTERS[filter] || []) {
            context[`search_default_${name}`] = 1;
        }
        return this.action.doAction(group.retention_action, {
            additionalContext: context,
            clearBreadcrumbs: true,
        });
    },
});

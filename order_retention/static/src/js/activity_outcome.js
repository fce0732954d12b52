/** @odoo-module **/
// Marking a retention call done from the chatter or the activity popovers opens the outcome dialog
// (reached / no answer / wrong number, why not ordering, next step) instead of closing it at once.
// The server still verifies the call when the dialog is confirmed.
import { ActivityMarkAsDone } from "@mail/core/web/activity_markasdone_popover";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";

patch(ActivityMarkAsDone.prototype, {
    get isRetentionCall() {
        return Boolean(this.props.activity.retention_requires_call);
    },

    async openRetentionOutcome() {
        const { id, res_id, res_model } = this.props.activity;
        const thread = this.env.services["mail.store"].Thread.insert({ model: res_model, id: res_id });
        if (this.props.close) {
            this.props.close();
        }
        await this.env.services.action.doAction(
            {
                type: "ir.actions.act_window",
                name: _t("Retention call outcome"),
                res_model: "mail.activity.retention.outcome",
                views: [[false, "form"]],
                target: "new",
                context: { default_activity_id: id, default_feedback: this.props.activity.feedback || false },
            },
            {
                onClose: async () => {
                    this.props.onActivityChanged(thread);
                    await thread.fetchNewMessages();
                },
            }
        );
    },

    async onClickDone() {
        if (this.isRetentionCall) {
            return this.openRetentionOutcome();
        }
        return super.onClickDone(...arguments);
    },

    async onClickDoneAndScheduleNext() {
        if (this.isRetentionCall) {
            return this.openRetentionOutcome();
        }
        return super.onClickDoneAndScheduleNext(...arguments);
    },
});

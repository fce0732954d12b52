/** @odoo-module **/
// Marking a retention call done - from the chatter, the activity popovers or their "Mark Done" popover - opens the
// outcome dialog at once (reached / no answer / wrong number, why not ordering, next step): one step, and its first
// line says which logged call will close it, or what is still missing. The server still verifies the call when the
// dialog is confirmed. "Cancel" is not offered on retention calls and complaint analyses to those who may not remove
// them (salespeople): the server refuses it anyway (retention_policy).
import { Activity } from "@mail/core/web/activity";
import { ActivityListPopoverItem } from "@mail/core/web/activity_list_popover_item";
import { ActivityMarkAsDone } from "@mail/core/web/activity_markasdone_popover";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";

function isRetentionCall(activity) {
    return Boolean(activity.retention_requires_call);
}

/** Opens the outcome dialog of ``activity``; ``onChanged`` runs once it is closed (saved or not). */
async function openRetentionOutcome(env, activity, onChanged) {
    await env.services.action.doAction(
        {
            type: "ir.actions.act_window",
            name: _t("Retention call outcome"),
            res_model: "mail.activity.retention.outcome",
            views: [[false, "form"]],
            target: "new",
            context: { default_activity_id: activity.id, default_feedback: activity.feedback || false },
        },
        { onClose: onChanged }
    );
}

function threadOf(env, activity) {
    return env.services["mail.store"].Thread.insert({ model: activity.res_model, id: activity.res_id });
}

patch(ActivityMarkAsDone.prototype, {
    get isRetentionCall() {
        return isRetentionCall(this.props.activity);
    },

    async openRetentionOutcome() {
        const activity = this.props.activity;
        const thread = threadOf(this.env, activity);
        if (this.props.close) {
            this.props.close();
        }
        await openRetentionOutcome(this.env, activity, async () => {
            this.props.onActivityChanged(thread);
            await thread.fetchNewMessages();
        });
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

// the chatter's activity: "Mark Done" opens the outcome dialog directly (no intermediate popover)
patch(Activity.prototype, {
    get retentionMayRemove() {
        return this.props.activity.retention_may_remove !== false;
    },

    async onClickMarkAsDone(ev) {
        const activity = this.props.activity;
        if (!isRetentionCall(activity)) {
            return super.onClickMarkAsDone(...arguments);
        }
        const thread = this.thread;
        await openRetentionOutcome(this.env, activity, async () => {
            this.props.onActivityChanged(thread);
            await thread.fetchNewMessages();
        });
    },
});

// the activity popover of lists and kanban: the same, and no Cancel for those who may not remove it
patch(ActivityListPopoverItem.prototype, {
    get hasCancelButton() {
        const activity = this.props.activity;
        if (activity.retention_may_remove === false) {
            return false;
        }
        return super.hasCancelButton;
    },

    onClickMarkAsDone() {
        const activity = this.props.activity;
        if (!isRetentionCall(activity)) {
            return super.onClickMarkAsDone(...arguments);
        }
        return openRetentionOutcome(this.env, activity, () => this.props.onActivityChanged?.());
    },
});

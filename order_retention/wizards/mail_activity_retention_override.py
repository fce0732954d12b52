from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models import retention_policy as policy


class MailActivityRetentionOverride(models.TransientModel):
    _name = "mail.activity.retention.override"
    _description = "Close Retention Calls Without a Call"

    activity_ids = fields.Many2many("mail.activity", string="Activities", required=True)
    reason = fields.Text(
        required=True, help="Why these follow-ups are closed without a verified call; logged on the customer."
    )

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "mail.activity" and "activity_ids" in fields_list:
            res["activity_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return res

    def action_close(self):
        """Close the activities without a call (sales managers only); the reason goes to the chatter."""
        self.ensure_one()
        policy.check_manager(self.env, _("Only a sales manager can close a retention call without a call."))
        if not (self.reason or "").strip():
            raise UserError(_("Give the reason for closing without a call."))
        activities = self.activity_ids.filtered("active")
        for activity in activities:
            self.env["res.partner"].browse(activity.res_id).exists().message_post(
                body=_(
                    "Retention call closed without a call by %(user)s. Reason: %(reason)s",
                    user=self.env.user.name,
                    reason=self.reason,
                )
            )
        activities._retention_close_system(
            feedback=_("Closed without a call by %(user)s: %(reason)s", user=self.env.user.name, reason=self.reason)
        )
        # reload the view below the dialog (list, chatter): the closed calls must not look open
        return {"type": "ir.actions.client", "tag": "soft_reload"}

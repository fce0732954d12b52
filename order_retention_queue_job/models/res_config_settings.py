from odoo import fields, models

CAPACITY_PARAM = "order_retention_queue_job.capacity"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    retention_job_capacity = fields.Integer(
        string="Parallel Retention Jobs",
        config_parameter=CAPACITY_PARAM,
        default=1,
        help="How many follow-up batches of the daily retention cycle run at the same time (jobs of the "
        "root.order_retention channel). Give the job runner at least as much: channels=root.order_retention:N.",
    )

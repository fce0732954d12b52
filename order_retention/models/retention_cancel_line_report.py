from odoo import fields, models, tools
from odoo.tools import SQL


class RetentionCancelLineReport(models.Model):
    """One row per line of a cancelled sale order: which products were cancelled, how many, why.

    Quantities are in the product's unit of measure (as in the Sales Analysis), so that they add up per
    product; orders are counted in *Cancellation Analysis* (``retention.cancel.report``, one row per order)."""

    _name = "retention.cancel.line.report"
    _description = "Cancelled Products"
    _auto = False
    _rec_name = "product_id"
    _order = "cancel_date desc, id desc"

    order_id = fields.Many2one("sale.order", readonly=True, aggregator="count_distinct")
    product_id = fields.Many2one("product.product", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Product Template", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    product_uom_qty = fields.Float(
        string="Quantity",
        readonly=True,
        aggregator="sum",
        digits="Product Unit of Measure",
        help="Quantity of the cancelled line, in the product's unit of measure.",
    )
    product_uom_id = fields.Many2one("uom.uom", string="Unit of Measure", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(
        string="Untaxed Amount",
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
        help="Untaxed amount of the cancelled line, in the company currency.",
    )
    reason_id = fields.Many2one("retention.cancel.reason", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    cancel_date = fields.Datetime(string="Cancelled On", readonly=True)
    excluded = fields.Boolean(string="Excluded from Statistics", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT sol.id AS id,
                       so.id AS order_id,
                       sol.product_id AS product_id,
                       pp.product_tmpl_id AS product_tmpl_id,
                       pt.categ_id AS categ_id,
                       sol.product_uom_qty / COALESCE(NULLIF(line_uom.factor, 0), 1.0)
                           * COALESCE(product_uom.factor, line_uom.factor, 1.0) AS product_uom_qty,
                       COALESCE(pt.uom_id, sol.product_uom) AS product_uom_id,
                       rc.currency_id AS currency_id,
                       sol.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1.0) AS amount,
                       so.retention_cancel_reason_id AS reason_id,
                       rp.commercial_partner_id AS partner_id,
                       so.user_id AS user_id,
                       so.team_id AS team_id,
                       so.company_id AS company_id,
                       COALESCE(so.retention_cancel_date, so.write_date) AS cancel_date,
                       COALESCE(so.retention_excluded_from_stats, FALSE) AS excluded
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN res_partner rp ON rp.id = so.partner_id
                  JOIN res_company rc ON rc.id = so.company_id
             LEFT JOIN product_product pp ON pp.id = sol.product_id
             LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
             LEFT JOIN uom_uom line_uom ON line_uom.id = sol.product_uom
             LEFT JOIN uom_uom product_uom ON product_uom.id = pt.uom_id
                 WHERE so.state = 'cancel' AND sol.display_type IS NULL
            )
            """,
                table=SQL.identifier(self._table),
            )
        )

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.res_config_settings import retention_param
from ..models.retention_policy import retention_system
from ..tools.quotation_duplicates import (
    KIND_DUPLICATE,
    KIND_PURCHASED,
    RULE_RECENT,
    RULE_SENT,
    Confirmed,
    Quote,
    find_groups,
)

OPEN_STATES = ("draft", "sent")


class SaleOrderRetentionDuplicate(models.TransientModel):
    _name = "sale.order.retention.duplicate"
    _description = "Find and cancel duplicate quotations"

    order_ids = fields.Many2many(
        "sale.order",
        string="Selected Quotations",
        help="Only these quotations are examined; empty means every open quotation you can see.",
    )
    partner_id = fields.Many2one("res.partner", string="Customer", help="Only this customer's quotations.")
    window_days = fields.Integer(
        string="Window (days)",
        default=lambda self: retention_param(self.env, "retention_duplicate_window_days"),
        help="Quotations (or a confirmed order) with the same products within this many days are duplicates.",
    )
    compare_quantities = fields.Boolean(help="Also require the same quantities (otherwise only the products count).")
    state = fields.Selection([("options", "Options"), ("preview", "Preview"), ("done", "Done")], default="options")
    line_ids = fields.One2many("sale.order.retention.duplicate.line", "wizard_id", string="Quotations")
    group_count = fields.Integer(compute="_compute_counts")
    cancel_count = fields.Integer(compute="_compute_counts")
    cancel_amount = fields.Monetary(
        compute="_compute_counts",
        currency_field="company_currency_id",
        string="Amount to Cancel",
        help="Total of the quotations that will be cancelled (not the kept ones), in the company currency.",
    )
    company_currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    skipped_paid_count = fields.Integer(readonly=True, help="Quotations left alone because they are (pre)paid.")
    result_message = fields.Text(readonly=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        ctx = self.env.context
        if ctx.get("active_model") == "sale.order" and ctx.get("active_ids") and "order_ids" in fields_list:
            res["order_ids"] = [fields.Command.set(ctx["active_ids"])]
        if ctx.get("active_model") == "res.partner" and ctx.get("active_id") and "partner_id" in fields_list:
            res["partner_id"] = ctx["active_id"]
        return res

    @api.depends("line_ids.group_key", "line_ids.is_keeper")
    def _compute_counts(self):
        for wizard in self:
            to_cancel = wizard.line_ids.filtered(lambda line: not line.is_keeper)
            currency = wizard.company_currency_id or self.env.company.currency_id
            wizard.group_count = len(set(wizard.line_ids.mapped("group_key")))
            wizard.cancel_count = len(to_cancel)
            wizard.cancel_amount = sum(
                line.currency_id._convert(
                    line.amount_total,
                    currency,
                    line.order_id.company_id,
                    line.date_order or fields.Date.context_today(self),
                )
                for line in to_cancel
            )

    # ------------------------------------------------------------------
    def _candidate_quotations(self):
        domain = [("state", "in", OPEN_STATES)]
        if self.order_ids:
            domain.append(("id", "in", self.order_ids.ids))
        if self.partner_id:
            domain.append(("partner_id", "child_of", self.partner_id.commercial_partner_id.id))
        return self.env["sale.order"].search(domain)

    @staticmethod
    def _customer(order):
        return (order.partner_id.commercial_partner_id.id, order.company_id.id)

    def _lines_of(self, order):
        lines = defaultdict(float)
        for line in order.order_line.filtered(lambda ln: ln.product_id and not ln.display_type):
            lines[line.product_id.id] += line.product_uom_qty
        return dict(lines)

    def _retention_find_groups(self):
        """The duplicate groups of the open quotations the wizard looks at (its options, the user's access), and
        the (pre)paid quotations left out: computed by the server, at preview and again at apply."""
        self.ensure_one()
        if self.window_days < 1:
            raise UserError(_("The window must be at least one day."))
        candidates = self._candidate_quotations()
        paid = candidates.filtered(lambda o: o._retention_is_paid())
        quotations = candidates - paid
        quotes = [Quote(o.id, self._customer(o), o.state, o.date_order, self._lines_of(o)) for o in quotations]
        customers = quotations.partner_id.commercial_partner_id
        confirmed_orders = self.env["sale.order"]
        if customers:
            margin = timedelta(days=self.window_days)
            dates = quotations.mapped("date_order")
            confirmed_orders = self.env["sale.order"].search(
                [
                    ("state", "=", "sale"),
                    ("partner_id", "child_of", customers.ids),
                    ("date_order", ">=", min(dates) - margin),
                    ("date_order", "<=", max(dates) + margin),
                ]
            )
        confirmed = [
            Confirmed(o.id, self._customer(o), o.date_order, frozenset(self._lines_of(o))) for o in confirmed_orders
        ]
        return find_groups(quotes, confirmed, self.window_days, self.compare_quantities), paid

    def action_preview(self):
        """Compute the groups; nothing is changed on the quotations."""
        self.ensure_one()
        groups, paid = self._retention_find_groups()
        vals_list = []
        for key, group in enumerate(groups, start=1):
            for quote_id in group.quote_ids:
                vals_list.append(
                    {
                        "wizard_id": self.id,
                        "group_key": key,
                        "kind": group.kind,
                        "order_id": quote_id,
                        "purchased_order_id": group.purchased_order_id or False,
                        "is_keeper": quote_id == group.keeper_id,
                        "rule": self._retention_rule_text(group, quote_id),
                    }
                )
        self.line_ids.unlink()
        self.env["sale.order.retention.duplicate.line"].create(vals_list)
        self.write({"state": "preview", "skipped_paid_count": len(paid)})
        return self._reopen()

    @api.model
    def _retention_rule_text(self, group, quote_id):
        """Why this quotation is kept or cancelled, in the user's language."""
        if group.kind == KIND_PURCHASED:
            return _("Already purchased: the confirmed order contains all its products")
        if quote_id != group.keeper_id:
            return _("Duplicate")
        if group.rule == RULE_SENT:
            return _("Kept: already sent to the customer (the others are drafts)")
        if group.rule == RULE_RECENT:
            return _("Kept: the most recent")
        return _("Kept")

    def action_back(self):
        self.line_ids.unlink()
        self.state = "options"
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Duplicate Quotations"),
            # the preview has many columns: an extra-large dialog keeps "Keep this one" in sight
            "context": {"dialog_size": "extra-large"},
        }

    def action_apply(self):
        """Cancel the non-kept quotations of the preview with reason Duplicate order / Already purchased.

        The preview's lines are only the user's choices (which to keep): the groups are computed again here, so a
        quotation is cancelled only when it still belongs to a real group, as a non-kept duplicate (at least one
        quotation of each duplicate group stays) or as bought through the group's confirmed order."""
        self.ensure_one()
        if self.state != "preview":
            raise UserError(_("Preview the duplicates first."))
        groups, _paid = self._retention_find_groups()
        Order = self.env["sale.order"]
        shown = {line.order_id.id: line for line in self.line_ids}
        plans = []
        for group in groups:
            dropped = Order.browse([qid for qid in group.quote_ids if qid in shown and not shown[qid].is_keeper])
            if not dropped:
                continue
            if group.kind == KIND_DUPLICATE:
                kept = Order.browse(group.quote_ids) - dropped
                if not kept:
                    raise UserError(
                        _(
                            "Choose a quotation to keep for %(customer)s (group of %(orders)s): click 'Keep this one'.",
                            customer=dropped[0].partner_id.commercial_partner_id.display_name,
                            orders=", ".join(dropped.mapped("name")),
                        )
                    )
                chosen = kept.filtered(lambda o: o.id in shown) or kept  # the user's keeper first
                keeper = chosen.sorted(lambda o: (o.state == "sent", o.date_order, o.id))[-1]
            else:
                keeper = Order.browse(group.purchased_order_id)
            plans.append((group.kind, keeper, dropped))
        planned = Order.browse([oid for _kind, _keeper, dropped in plans for oid in dropped.ids])
        planned.check_access("write")
        reason_dup = self.env.ref("order_retention.cancel_reason_duplicate")
        reason_bought = self.env.ref("order_retention.cancel_reason_already_purchased")
        cancelled = 0
        for kind, keeper, to_cancel in plans:
            reason = reason_dup if kind == KIND_DUPLICATE else reason_bought
            # the groups were just computed from open, unpaid quotations: each one is cancelled as such
            for order in to_cancel:
                note = (
                    _("Duplicate of %(keeper)s", keeper=keeper.name)
                    if kind == KIND_DUPLICATE
                    else _("Already purchased through %(keeper)s", keeper=keeper.name)
                )
                with retention_system():
                    order.with_context(
                        retention_cancel_reason_id=reason.id, retention_cancel_note=note
                    )._action_cancel()
                    order.retention_duplicate_of_id = keeper
                order.message_post(
                    body=Markup("%s %s")
                    % (_("Cancelled by the duplicate quotations clean-up; kept:"), keeper._get_html_link())
                )
            keeper.message_post(
                body=Markup("%s %s")
                % (
                    _("Duplicate quotations cancelled in favour of this one:")
                    if kind == KIND_DUPLICATE
                    else _("Quotations cancelled because this order already covers them:"),
                    Markup(", ").join(o._get_html_link() for o in to_cancel),
                )
            )
            cancelled += len(to_cancel)
        skipped = len(self.line_ids.filtered(lambda ln: not ln.is_keeper)) - cancelled
        message = _("%(count)s quotation(s) cancelled.", count=cancelled)
        if skipped > 0:
            message += " " + _(
                "%(count)s skipped: not (or no longer) duplicates - confirmed, cancelled, paid or changed since the "
                "preview.",
                count=skipped,
            )
        self.write({"state": "done", "result_message": message})
        return self._reopen()


class SaleOrderRetentionDuplicateLine(models.TransientModel):
    _name = "sale.order.retention.duplicate.line"
    _description = "Quotation in a duplicate group"
    _order = "group_key, is_keeper desc, id"

    wizard_id = fields.Many2one("sale.order.retention.duplicate", required=True, ondelete="cascade")
    group_key = fields.Integer(string="Group", readonly=True)
    kind = fields.Selection([(KIND_DUPLICATE, "Duplicate"), (KIND_PURCHASED, "Already purchased")], readonly=True)
    order_id = fields.Many2one("sale.order", string="Quotation", required=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer")
    order_state = fields.Selection(related="order_id.state", string="Status")
    date_order = fields.Datetime(related="order_id.date_order", string="Order Date")
    amount_total = fields.Monetary(related="order_id.amount_total")
    quote_date = fields.Date(string="Date", compute="_compute_quote_date")
    products = fields.Text(compute="_compute_products", help="Products and quantities of the quotation.")
    currency_id = fields.Many2one(related="order_id.currency_id")
    user_id = fields.Many2one(related="order_id.user_id", string="Salesperson")
    handled_by_id = fields.Many2one(related="order_id.retention_handled_by_id", string="Being Handled By")
    purchased_order_id = fields.Many2one("sale.order", string="Confirmed Order", readonly=True)
    is_keeper = fields.Boolean(string="Keep", help="Kept quotations are not cancelled.")
    rule = fields.Text(string="Why", readonly=True)

    @api.depends("date_order")
    def _compute_quote_date(self):
        for line in self:
            line.quote_date = (
                fields.Datetime.context_timestamp(line, line.date_order).date() if line.date_order else False
            )

    @api.depends("order_id.order_line.product_id", "order_id.order_line.product_uom_qty")
    def _compute_products(self):
        for line in self:
            order_lines = line.order_id.order_line.filtered(lambda ln: ln.product_id and not ln.display_type)
            line.products = ", ".join("%s × %g" % (ol.product_id.name, ol.product_uom_qty) for ol in order_lines)

    def action_keep(self):
        """Keep this quotation; in a duplicate group it becomes the only one kept."""
        self.ensure_one()
        if self.kind == KIND_DUPLICATE:
            self.wizard_id.line_ids.filtered(
                lambda ln: ln.group_key == self.group_key and ln != self and ln.is_keeper
            ).write({"is_keeper": False, "rule": _("Duplicate")})
        self.write({"is_keeper": True, "rule": _("Kept: chosen by you")})
        return self.wizard_id._reopen()

    def action_drop(self):
        """Cancel this quotation after all (already purchased groups)."""
        self.ensure_one()
        self.write(
            {"is_keeper": False, "rule": _("Already purchased") if self.kind == KIND_PURCHASED else _("Duplicate")}
        )
        return self.wizard_id._reopen()

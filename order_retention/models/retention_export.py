"""Exports never carry a live formula (CSV and XLSX, flat, grouped and import-compatible): every text cell
that holds the module's data and starts like a formula is written as text (``tools/spreadsheet_safe.py``).

The module's data is a column of an export of one of its models (``retention.*``, whatever the column, the
customer's name of a call included), or a column whose path goes through a field or a model of the module
(``sale.order`` / ``retention_cancel_note``, ``res.partner`` / ``retention_history_ids/...``). Exports of
Odoo's other data are left as Odoo writes them."""

from odoo import api, models
from odoo.models import fix_import_export_id_paths

from ..tools.spreadsheet_safe import spreadsheet_safe

MODULE_PREFIX = "order_retention"


def _of_module(module):
    return bool(module) and module.startswith(MODULE_PREFIX)


def _safe_group_value(value):
    if isinstance(value, str):
        return spreadsheet_safe(value)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
        return (value[0], spreadsheet_safe(value[1]))  # a many2one group: (id, name)
    return value


class Base(models.AbstractModel):
    _inherit = "base"

    def export_data(self, fields_to_export):
        result = super().export_data(fields_to_export)
        guarded = [self._retention_export_guarded(path) for path in fields_to_export]
        if any(guarded):
            for row in result.get("datas", []):
                for index, value in enumerate(row):
                    if index < len(guarded) and guarded[index]:
                        row[index] = spreadsheet_safe(value)
        return result

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        result = super().read_group(domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)
        # the web client's export (the only caller that puts import_compat in the context) writes the group
        # values as the titles of a grouped XLSX export
        if "import_compat" in self.env.context and groupby:
            specs = [groupby] if isinstance(groupby, str) else list(groupby)
            guarded = [spec for spec in specs if self._retention_export_guarded(spec.split(":")[0])]
            for group in result if guarded else ():
                for spec in guarded:
                    if spec in group:
                        group[spec] = _safe_group_value(group[spec])
        return result

    @api.model
    def _retention_export_guarded(self, path):
        """True when the export column ``path`` ("partner_id/name", "id", ...) holds data of this module."""
        if _of_module(self._original_module):
            return True
        model = self
        for name in fix_import_export_id_paths(path):
            field = model._fields.get(name)
            if field is None:
                return False
            if _of_module(field._module):
                return True
            if not field.relational:
                return False
            model = self.env[field.comodel_name]
            if _of_module(model._original_module):
                return True
        return False

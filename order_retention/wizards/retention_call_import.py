import base64
import csv
import io

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools import call_verification as cv

# column names of the common call-detail-record layouts -> our fields
LAYOUTS = {
    "generic": {"call_id": "call_id", "number": "number", "direction": "direction", "start": "start",
                "duration": "duration", "user_login": "user_login"},
    "asterisk": {"call_id": "uniqueid", "src": "src", "dst": "dst", "start": "calldate", "duration": "billsec",
                 "disposition": "disposition"},
    "3cx": {"call_id": "Call ID", "from": "From", "to": "To", "direction": "Direction", "start": "Start Time",
            "duration": "Talking"},
}
PREVIEW_ROWS = 10


class RetentionCallImport(models.TransientModel):
    _name = "retention.call.import"
    _description = "Import Call Records (CSV)"

    file = fields.Binary(string="CSV File", required=True)
    filename = fields.Char()
    layout = fields.Selection([
        ("generic", "Generic (call_id, number, direction, start, duration, user_login)"),
        ("asterisk", "Asterisk CDR (uniqueid, src, dst, calldate, billsec, disposition)"),
        ("3cx", "3CX call log (Call ID, From, To, Direction, Start Time, Talking)"),
    ], required=True, default="generic")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    state = fields.Selection([("upload", "Upload"), ("preview", "Preview"), ("done", "Done")], default="upload")
    preview = fields.Text(readonly=True)
    result = fields.Text(readonly=True)

    # ------------------------------------------------------------------
    # PARSING
    # ------------------------------------------------------------------

    def _read_rows(self):
        """[(line number, row dict in the generic layout)] from the uploaded file."""
        self.ensure_one()
        try:
            text = base64.b64decode(self.file or b"").decode("utf-8-sig")
        except (ValueError, UnicodeDecodeError):
            raise UserError(_("The file is not UTF-8 text: export the call records as CSV (UTF-8) and try again."))
        if not text.strip():
            raise UserError(_("The file is empty."))
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        mapping = LAYOUTS[self.layout]
        missing = [col for key, col in mapping.items() if key not in ("user_login", "disposition", "direction")
                   and col not in (reader.fieldnames or [])]
        if missing:
            raise UserError(_("Columns %(missing)s are missing for the %(layout)s layout (found: %(found)s). "
                              "Pick the layout matching your PBX export.", missing=", ".join(missing),
                              layout=dict(self._fields["layout"].selection)[self.layout],
                              found=", ".join(reader.fieldnames or [])))
        return [(reader.line_num, self._to_generic(raw, mapping)) for raw in reader]

    def _to_generic(self, raw, mapping):
        raw = {k: (v or "").strip() for k, v in raw.items() if k}
        if self.layout == "generic":
            return {key: raw.get(col, "") for key, col in mapping.items()}
        row = {"call_id": raw.get(mapping["call_id"]), "start": raw.get(mapping["start"]),
               "duration": raw.get(mapping["duration"])}
        if self.layout == "asterisk":
            src, dst = raw.get("src", ""), raw.get("dst", "")
            internal = len("".join(ch for ch in src if ch.isdigit())) <= 5  # an extension called out
            row.update(direction="outbound" if internal else "inbound", number=dst if internal else src)
            if raw.get("disposition", "ANSWERED").upper() != "ANSWERED":
                row["duration"] = "0"
        else:
            direction = raw.get("Direction", "")
            outbound = direction.lower().startswith("out")
            row.update(direction="outbound" if outbound else "inbound",
                       number=raw.get("To") if outbound else raw.get("From"))
        if row.get("start") and " " in row["start"] and "T" not in row["start"]:
            row["start"] = row["start"].replace(" ", "T", 1)
        return row

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def action_preview(self):
        """Parse and validate without importing: first rows and every error with its line number."""
        rows = self._read_rows()
        report = self.env["retention.call"]._retention_ingest(rows, "csv", self.company_id, dry_run=True)
        lines = [_("%(total)s rows: %(ok)s to import, %(dup)s already imported, %(bad)s with errors.",
                   total=len(rows), ok=report["created"], dup=report["duplicate"], bad=report["rejected"])]
        lines += ["  %s | %s | %s | %s | %s" % (r.get("call_id"), r.get("number"), r.get("direction"), r.get("start"),
                                              r.get("duration")) for _line, r in rows[:PREVIEW_ROWS]]
        lines += self._error_lines(report)
        self.write({"state": "preview", "preview": "\n".join(lines)})
        return self._reopen()

    def action_import(self):
        """Import the good rows; rows already imported are skipped; bad rows are reported."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(_("Only sales managers import call records."))
        rows = self._read_rows()
        report = self.env["retention.call"]._retention_ingest(rows, "csv", self.company_id)
        lines = [_("%(ok)s calls imported, %(dup)s already imported (skipped), %(bad)s rejected.",
                   ok=report["created"], dup=report["duplicate"], bad=report["rejected"])] + self._error_lines(report)
        self.write({"state": "done", "result": "\n".join(lines)})
        return self._reopen()

    @api.model
    def _error_lines(self, report):
        return [_("Line %(line)s: %(reason)s", line=e["row"], reason=e["reason"]) for e in report["errors"]]

    def _reopen(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "new", "name": _("Import Call Records")}

import base64
import csv
import io

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models import retention_policy as policy
from ..models.retention_call import MAX_ROWS
from ..tools import call_verification as cv

# column names of the common call-detail-record layouts -> our fields
LAYOUTS = {
    "generic": {
        "call_id": "call_id",
        "number": "number",
        "direction": "direction",
        "start": "start",
        "duration": "duration",
        "user_login": "user_login",
    },
    "asterisk": {
        "call_id": "uniqueid",
        "src": "src",
        "dst": "dst",
        "start": "calldate",
        "duration": "billsec",
        "disposition": "disposition",
    },
    "3cx": {
        "call_id": "Call ID",
        "from": "From",
        "to": "To",
        "direction": "Direction",
        "start": "Start Time",
        "duration": "Talking",
    },
}
PREVIEW_ROWS = 10


class RetentionCallImport(models.TransientModel):
    _name = "retention.call.import"
    _description = "Import Call Records (CSV)"

    file = fields.Binary(string="CSV File", required=True)
    filename = fields.Char()
    layout = fields.Selection(
        [
            ("generic", "Generic (call_id, number, direction, start, duration, user_login)"),
            ("asterisk", "Asterisk CDR (uniqueid, src, dst, calldate, billsec, disposition)"),
            ("3cx", "3CX call log (Call ID, From, To, Direction, Start Time, Talking)"),
        ],
        required=True,
        default="generic",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    state = fields.Selection([("upload", "Upload"), ("preview", "Preview"), ("done", "Done")], default="upload")
    preview = fields.Text(readonly=True)
    result = fields.Text(readonly=True)

    # ------------------------------------------------------------------
    # PARSING
    # ------------------------------------------------------------------

    @staticmethod
    def _decode(data):
        """Text of the file, line by line: UTF-8, else Windows-1252, else Latin-1 (a mixed file keeps
        every line readable); lines holding NUL bytes are emptied and returned as line numbers."""
        lines, bad = [], []
        for number, raw in enumerate(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"), start=1):
            if b"\x00" in raw:
                bad.append(number)
                lines.append("")
                continue
            for encoding in ("utf-8-sig" if number == 1 else "utf-8", "cp1252", "latin-1"):
                try:
                    lines.append(raw.decode(encoding))
                    break
                except UnicodeDecodeError:
                    continue
        return "\n".join(lines), bad

    def _read_rows(self):
        """([(line number, row dict in the generic layout)], [errors of unreadable lines])."""
        self.ensure_one()
        try:
            data = base64.b64decode(self.file or b"")
        except ValueError:
            raise UserError(_("The file could not be read: export the call records as CSV and try again.")) from None
        text, nul_lines = self._decode(data)
        if not text.strip():
            raise UserError(_("The file is empty."))
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
        mapping = LAYOUTS[self.layout]
        try:
            fieldnames = reader.fieldnames or []
        except csv.Error:
            fieldnames = []
        missing = [
            col
            for key, col in mapping.items()
            if key not in ("user_login", "disposition", "direction") and col not in fieldnames
        ]
        if missing:
            raise UserError(
                _(
                    "Columns %(missing)s are missing for the %(layout)s layout (found: %(found)s). "
                    "Pick the layout matching your PBX export.",
                    missing=", ".join(missing),
                    layout=dict(self._fields["layout"].selection)[self.layout],
                    found=", ".join(cv.safe_text(f) for f in fieldnames),
                )
            )
        nul = self.env._("the line contains NUL bytes")
        rows, errors = [], [{"row": n, "call_id": None, "reason": nul} for n in nul_lines]
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                errors.append(
                    {
                        "row": reader.line_num,
                        "call_id": None,
                        "reason": _("unreadable CSV line (%(error)s)", error=cv.safe_text(str(exc), 80)),
                    }
                )
                continue
            rows.append((reader.line_num, self._to_generic(raw, mapping)))
        if len(rows) > MAX_ROWS:
            raise UserError(
                _(
                    "The file has %(count)s calls: import at most %(max)s at a time (split the file).",
                    count=len(rows),
                    max=MAX_ROWS,
                )
            )
        return rows, errors

    def _to_generic(self, raw, mapping):
        # DictReader puts surplus cells in a list under the key None: ignored
        raw = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str) and isinstance(v, str | type(None))}
        if self.layout == "generic":
            return {key: raw.get(col, "") for key, col in mapping.items()}
        row = {
            "call_id": raw.get(mapping["call_id"]),
            "start": raw.get(mapping["start"]),
            "duration": raw.get(mapping["duration"]),
        }
        if self.layout == "asterisk":
            src, dst = raw.get("src", ""), raw.get("dst", "")
            internal = len("".join(ch for ch in src if ch.isdigit())) <= 5  # an extension called out
            row.update(direction="outbound" if internal else "inbound", number=dst if internal else src)
            if raw.get("disposition", "ANSWERED").upper() != "ANSWERED":
                row["duration"] = "0"
        else:
            direction = raw.get("Direction", "")
            outbound = direction.lower().startswith("out")
            row.update(
                direction="outbound" if outbound else "inbound", number=raw.get("To") if outbound else raw.get("From")
            )
        if row.get("start") and " " in row["start"] and "T" not in row["start"]:
            row["start"] = row["start"].replace(" ", "T", 1)
        return row

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def _retention_check_import(self):
        """Sales managers only, into one of their allowed companies."""
        self.ensure_one()
        policy.check_manager(self.env, _("Only sales managers import call records."))
        if self.company_id not in self.env.user.company_ids:
            raise AccessError(
                _(
                    "You cannot import calls into %(company)s: it is not one of your companies.",
                    company=self.company_id.sudo().name,
                )
            )

    def _retention_run(self, dry_run):
        self._retention_check_import()
        rows, errors = self._read_rows()
        if not dry_run:
            self.env["retention.call"]._retention_intake_lock(self.company_id.id)
        report = self.env["retention.call"]._retention_ingest(rows, "csv", self.company_id, dry_run=dry_run)
        report["errors"] = sorted(errors + report["errors"], key=lambda e: e["row"])
        report["rejected"] += len(errors)
        return rows, report

    def action_preview(self):
        """Parse and validate without importing: first rows and every error with its line number."""
        rows, report = self._retention_run(dry_run=True)
        lines = [
            _(
                "%(total)s rows: %(ok)s to import, %(dup)s already imported, %(bad)s with errors.",
                total=len(rows),
                ok=report["created"],
                dup=report["duplicate"],
                bad=report["rejected"],
            )
        ]
        lines += [
            "  " + " | ".join(cv.safe_text(r.get(k)) for k in ("call_id", "number", "direction", "start", "duration"))
            for _line, r in rows[:PREVIEW_ROWS]
        ]
        lines += self._error_lines(report)
        self.write({"state": "preview", "preview": "\n".join(lines)})
        return self._reopen()

    def action_import(self):
        """Import the good rows; rows already imported are skipped; bad rows are reported."""
        _rows, report = self._retention_run(dry_run=False)
        lines = [
            _(
                "%(ok)s calls imported, %(dup)s already imported (skipped), %(bad)s rejected.",
                ok=report["created"],
                dup=report["duplicate"],
                bad=report["rejected"],
            )
        ] + self._error_lines(report)
        self.write({"state": "done", "result": "\n".join(lines)})
        return self._reopen()

    @api.model
    def _error_lines(self, report):
        _ = self.env._
        return [_("Line %(line)s: %(reason)s", line=e["row"], reason=e["reason"]) for e in report["errors"]]

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Import Call Records"),
        }

import base64
import codecs
import csv

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
# a quoted cell may hold line breaks over at most this many lines (in a column the import does not read)
RECORD_LINES = 50


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
        every line readable), without a leading UTF-8 byte order mark; lines holding NUL bytes are emptied
        and returned as line numbers."""
        lines, bad = [], []
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        for number, raw in enumerate(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"), start=1):
            if b"\x00" in raw:
                bad.append(number)
                lines.append("")
                continue
            for encoding in ("utf-8", "cp1252", "latin-1"):
                try:
                    lines.append(raw.decode(encoding))
                    break
                except UnicodeDecodeError:
                    continue
        return "\n".join(lines), bad

    @staticmethod
    def _quote_left_open(text, dialect):
        """True when a quoted cell of ``text`` (one record, maybe several lines) is still open at its end."""
        try:
            list(csv.reader([text + "\n"], dialect, strict=True))
        except csv.Error as exc:
            return "unexpected end of data" in str(exc)
        return False

    def _records(self, lines, dialect, may_span):
        """Yield (line number, cells, error) for each record of ``lines``. A record over several lines (a
        quoted cell holding line breaks, up to RECORD_LINES lines) is read only when ``may_span(cells,
        continuation lines)`` accepts it; a record that leaves a quote open, or that ``may_span`` refuses, is
        an error at its first line and reading goes on at the next line: one unterminated quote never hides
        the good lines after it. Blank lines are skipped."""
        _ = self.env._
        index = 0
        while index < len(lines):
            chunk = lines[index : index + RECORD_LINES]
            reader = csv.reader((line + "\n" for line in chunk), dialect)
            try:
                cells = next(reader, [])
            except csv.Error as exc:
                yield index + 1, None, _("unreadable CSV line (%(error)s)", error=cv.safe_text(str(exc), 80))
                index += 1
                continue
            consumed = max(reader.line_num, 1)
            text = "\n".join(chunk[:consumed])
            broken = self._quote_left_open(text, dialect) or (consumed > 1 and not may_span(cells, chunk[1:consumed]))
            if broken:
                yield (
                    index + 1,
                    None,
                    _(
                        "a quoted cell opened on this line is not closed (unterminated quote): the line was "
                        "skipped, the next lines are read on their own"
                    ),
                )
                index += 1
                continue
            if cells:
                yield index + 1, cells, None
            index += consumed

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
        mapping = LAYOUTS[self.layout]
        read = set(mapping.values())
        header = {"names": None, "read": []}

        def may_span(cells, continuation):
            """A record over several lines is read when its line breaks are in cells the import does not read
            and none of its continuation lines looks like a record of its own (an unterminated quote in an
            unread column would swallow it); the header line never spans."""
            names = header["names"]
            if names is None:
                return False
            if any("\n" in cells[k] for k in header["read"] if k < len(cells)):
                return False
            return not any(len(next(csv.reader([line], dialect), [])) == len(names) for line in continuation)

        records = self._records(text.split("\n"), dialect, may_span)
        fieldnames = next((cells or [] for _line, cells, _error in records), [])
        header.update(names=fieldnames, read=[k for k, name in enumerate(fieldnames) if name in read])
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
        for line, cells, error in records:
            if error:
                errors.append({"row": line, "call_id": None, "reason": error})
                continue
            raw = {name: cells[k] if k < len(cells) else None for k, name in enumerate(fieldnames)}
            rows.append((line, self._to_generic(raw, mapping)))
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
                row.update(duration="0", answered=False)
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

"""COPY bridges between PostgreSQL and numpy/pandas, for the cadence adapter (no Odoo import).

The adapter streams order facts out of PostgreSQL with ``COPY ... TO STDOUT`` and results back in
with ``COPY ... FROM STDIN``: for a million orders this is several times faster than fetching
tuples. Both directions of the nightly run use PostgreSQL's binary format with fixed-width rows
(every field NOT NULL; NULLs travel as NaN or -1 and are restored in SQL), which numpy reads and
writes without formatting or parsing a value.
"""

import io

import numpy as np
import pandas as pd

from .cadence import RFM_SEGMENTS, STATUSES

# Columns written back to the temporary table, in COPY order: (result column, SQL type). Only what the
# write-back reads: figures derived at read time (missing flag, overdue days and probability) are not copied.
RESULT_COLUMNS = [
    ("partner_id", "int4"),
    ("status", "varchar"),
    ("days_since_last", "int4"),
    ("last_order_date", "date"),
    ("order_count", "int4"),
    ("total_amount", "float8"),
    ("mean_gap", "float8"),
    ("std_gap", "float8"),
    ("expected_gap", "float8"),
    ("gap_spread", "int4"),
    ("expected_next_date", "date"),
    ("warning_days", "float8"),
    ("warning_date", "date"),
    ("gap_log_sd", "float8"),
    ("p_no_order_90d", "float8"),
    ("rfm_score", "varchar"),
    ("rfm_segment", "varchar"),
    ("churn_probability", "float8"),
    ("annual_value", "float8"),
    ("value_at_risk", "float8"),
    ("team_id", "int4"),  # sales team of the latest confirmed order (the peer group); not an engine column
]


# The engine results in binary COPY layout (the columns of RESULT_COLUMNS): statuses
# and RFM segments as 1-based codes into STATUSES / RFM_SEGMENTS, the RFM score as its number (545),
# dates as days since 2000-01-01 (PostgreSQL's binary date), NaN floats and team -1 for NULL.
RESULT_ROW_FIELDS = [
    ("partner_id", ">i4"),
    ("status", ">i2"),
    ("days_since_last", ">i4"),
    ("last_order_date", ">i4"),
    ("order_count", ">i4"),
    ("total_amount", ">f8"),
    ("mean_gap", ">f8"),
    ("std_gap", ">f8"),
    ("expected_gap", ">f8"),
    ("gap_spread", ">i4"),
    ("expected_next_date", ">i4"),
    ("warning_days", ">f8"),
    ("warning_date", ">i4"),
    ("gap_log_sd", ">f8"),
    ("p_no_order_90d", ">f8"),
    ("rfm_score", ">i2"),
    ("rfm_segment", ">i2"),
    ("churn_probability", ">f8"),
    ("annual_value", ">f8"),
    ("value_at_risk", ">f8"),
    ("team_id", ">i4"),
]
RESULT_ROW = np.dtype(
    [("fields", ">i2")]
    + [item for name, code in RESULT_ROW_FIELDS for item in (("%s_len" % name, ">i4"), (name, code))]
)
_SQL_TYPES = {">i2": "int2", ">i4": "int4", ">f8": "float8"}
_DATE_FIELDS = ("last_order_date", "expected_next_date", "warning_date")
_PG_EPOCH = np.datetime64("2000-01-01", "D")


def result_raw_columns():
    """(name, SQL type) of the table the binary rows are copied into."""
    return [(name, "date" if name in _DATE_FIELDS else _SQL_TYPES[code]) for name, code in RESULT_ROW_FIELDS]


def result_raw_select(raw_table):
    """SQL (str) selecting RESULT_COLUMNS from the binary rows' table, NULLs and codes restored."""
    statuses = "ARRAY[%s]::varchar[]" % ", ".join("'%s'" % status for status in STATUSES)
    segments = "ARRAY[%s]::varchar[]" % ", ".join("'%s'" % segment.replace("'", "''") for segment in RFM_SEGMENTS)
    nullable = {"mean_gap", "std_gap"}
    columns = []
    for name, _sql_type in RESULT_COLUMNS:
        if name == "status":
            columns.append("(%s)[r.status] AS status" % statuses)
        elif name == "rfm_segment":
            columns.append("(%s)[r.rfm_segment] AS rfm_segment" % segments)
        elif name == "rfm_score":
            columns.append("r.rfm_score::varchar AS rfm_score")
        elif name == "team_id":
            columns.append("NULLIF(r.team_id, -1) AS team_id")
        elif name in nullable:
            columns.append("NULLIF(r.%s, 'NaN'::float8) AS %s" % (name, name))
        else:
            columns.append("r.%s" % name)
    return "SELECT %s FROM %s r" % (", ".join(columns), raw_table)


def result_to_binary(result):
    """An engine result (indexed by partner_id, with ``team_id``) as a binary COPY stream of
    RESULT_ROW rows. Floats are rounded to 4 decimals (as stored: a figure that did not move compares
    equal to yesterday's)."""
    rows = np.zeros(len(result), dtype=RESULT_ROW)
    rows["fields"] = len(RESULT_ROW_FIELDS)
    for name, code in RESULT_ROW_FIELDS:
        rows["%s_len" % name] = np.dtype(code).itemsize
    rows["partner_id"] = result.index.to_numpy()
    rows["status"] = _codes(result["status"], STATUSES)
    rows["rfm_segment"] = _codes(result["rfm_segment"], RFM_SEGMENTS)
    rows["rfm_score"] = pd.to_numeric(result["rfm_score"]).to_numpy()
    for name in _DATE_FIELDS:
        rows[name] = (np.asarray(result[name], dtype="datetime64[D]") - _PG_EPOCH).astype("int64")
    team = pd.to_numeric(result["team_id"]).to_numpy(dtype="float64")
    rows["team_id"] = np.where(np.isnan(team), -1, team).astype("int64")
    for name, code in RESULT_ROW_FIELDS:
        if name in ("partner_id", "status", "rfm_segment", "rfm_score", "team_id") or name in _DATE_FIELDS:
            continue
        values = result[name].to_numpy(dtype="float64")
        rows[name] = np.round(values, 4) if code == ">f8" else values
    return io.BytesIO(COPY_SIGNATURE + bytes(8) + rows.tobytes() + COPY_TRAILER)


def _codes(values, labels):
    """1-based positions of ``values`` in ``labels`` (0 for anything else: NULL in SQL)."""
    return pd.Categorical(values, categories=list(labels)).codes.astype("int64") + 1


def new_buffer():
    """An in-memory text buffer for COPY ... TO STDOUT."""
    return io.StringIO()


def read_order_facts(buffer):
    """Parse the CSV produced by the fact query (header: partner_id,day,amount,peer_group; ``day`` in
    days since 1970-01-01, which parses far faster than date strings) into the frame expected by
    ``cadence.compute_cadence``: ``date`` datetime64, an empty ``peer_group`` NaN (no group)."""
    buffer.seek(0)
    frame = pd.read_csv(
        buffer,
        dtype={"partner_id": "int64", "day": "int64", "amount": "float64", "peer_group": "float64"},
        engine="c",
    )
    frame.insert(1, "date", pd.to_datetime(frame.pop("day"), unit="D"))
    return frame


# One fact row in PostgreSQL's binary COPY format, every field NOT NULL (the query coalesces the peer
# group to -1): field count, then (length, value) for partner id int4, day int4 (days since 1970),
# amount float8 and peer group int4. Fixed width, so a buffer is read by numpy without parsing.
FACT_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("partner_len", ">i4"),
        ("partner_id", ">i4"),
        ("day_len", ">i4"),
        ("day", ">i4"),
        ("amount_len", ">i4"),
        ("amount", ">f8"),
        ("peer_len", ">i4"),
        ("peer_group", ">i4"),
    ]
)
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_TRAILER = b"\xff\xff"


def fact_copy_sql(query_sql):
    """COPY statement streaming the fact query (partner_id, day, amount, team_id, ordered_at,
    order_id) in the binary layout of FACT_ROW (the team in the peer group field), ordered by
    customer, then date and id: each customer's last row is its latest order."""
    return (
        "COPY (SELECT partner_id::int4, day::int4, amount::float8, COALESCE(team_id, -1)::int4 "
        "FROM (%s) facts ORDER BY partner_id, ordered_at, order_id) TO STDOUT WITH (FORMAT binary)" % query_sql
    )


def _facts_frame(rows):
    """Frame of FACT_ROW records (ordered by customer, then date) as read_order_facts returns it: the
    peer group of every row is the team of the customer's last row (-1, no team: NaN)."""
    if len(rows) and not (
        (rows["fields"] == 4).all()
        and (rows["partner_len"] == 4).all()
        and (rows["day_len"] == 4).all()
        and (rows["amount_len"] == 8).all()
        and (rows["peer_len"] == 4).all()
    ):
        raise ValueError("unexpected row layout in the binary COPY of the order facts")
    # the peer group of a customer is the sales team of its latest order (its last row), on every row
    partner = rows["partner_id"]
    last = np.flatnonzero(np.r_[partner[1:] != partner[:-1], True]) if len(rows) else np.empty(0, "int64")
    team = rows["peer_group"][last].astype("float64")
    team[team < 0] = np.nan
    peer = np.repeat(team, np.diff(np.r_[-1, last]))
    return pd.DataFrame(
        {
            "partner_id": rows["partner_id"].astype("int64"),
            "date": rows["day"].astype("int64").astype("datetime64[D]").astype("datetime64[ns]"),
            "amount": rows["amount"].astype("float64"),
            "peer_group": peer,
        }
    )


class ShardedFactSink:
    """File-like target of the COPY of ``fact_copy_sql``: hands the rows to ``on_shard`` as frames of
    about ``shard_bytes`` each (38 bytes a row), never splitting one customer's rows over two shards,
    so that memory holds one shard of orders, not the whole base. Call ``close()`` after the COPY for
    the last shard. ``shards`` counts the frames handed over, ``rows`` the rows.

    psycopg2 calls ``write`` once per row of a binary COPY (ten million calls at 1M customers): each row is
    appended to one growing buffer, not kept as an object of its own (a list of 1.8 million small byte
    strings per shard cost about 150 MB that Python's allocator kept after the shard was read, and a copy
    of every row)."""

    def __init__(self, on_shard, shard_bytes=64 << 20):
        self.on_shard = on_shard
        self.shard_bytes = max(int(shard_bytes), FACT_ROW.itemsize)
        self.shards = self.rows = 0
        self._buffer = bytearray()
        self._started = False  # the 19-byte header (and its extension) read

    def receive(self, data):
        """What COPY calls with each piece of the stream (``write``, the file-like name)."""
        buffer = self._buffer
        buffer += data
        if len(buffer) >= self.shard_bytes:
            self._flush(final=False)
        return len(data)

    write = receive  # a file-like object for psycopg2's copy_expert

    def close(self):
        self._flush(final=True)

    def _emit(self, rows):
        if len(rows):
            self.shards += 1
            self.rows += len(rows)
            self.on_shard(_facts_frame(rows))

    def _flush(self, final):
        blob, self._buffer = self._buffer, bytearray()
        start = 0
        if not self._started:
            if len(blob) < 19 and not final:
                self._buffer = blob
                return
            if not blob.startswith(COPY_SIGNATURE) or len(blob) < 19:
                raise ValueError("not a binary COPY stream")
            start = 19 + int.from_bytes(blob[15:19], "big")
            self._started = True
        if final:
            if not blob.endswith(COPY_TRAILER) or (len(blob) - start - 2) % FACT_ROW.itemsize:
                raise ValueError("truncated binary COPY stream of the order facts")
            self._emit(np.frombuffer(blob, FACT_ROW, count=(len(blob) - start - 2) // FACT_ROW.itemsize, offset=start))
            return
        count = (len(blob) - start) // FACT_ROW.itemsize
        rows = np.frombuffer(blob, FACT_ROW, count=count, offset=start)
        # the rows of the last customer may go on in the next write: keep them for the next shard
        keep_from = int(np.searchsorted(rows["partner_id"], rows["partner_id"][-1], side="left")) if count else 0
        self._buffer = bytearray(memoryview(blob)[start + keep_from * FACT_ROW.itemsize :])
        self._emit(rows[:keep_from])

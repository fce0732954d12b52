"""CSV bridges between PostgreSQL COPY and pandas, for the cadence adapter (no Odoo import).

The adapter streams order facts out of PostgreSQL with ``COPY ... TO STDOUT`` and results back
in with ``COPY ... FROM STDIN``: for a million orders this is several times faster than
fetching tuples, and keeps memory bounded to one CSV buffer plus the frame.
"""

import io

import numpy as np
import pandas as pd

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
    ("explanation", "text"),
    ("churn_probability", "float8"),
    ("annual_value", "float8"),
    ("value_at_risk", "float8"),
    ("team_id", "int4"),  # sales team of the latest confirmed order (the peer group); not an engine column
]


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


def result_to_csv(result):
    """Serialise an engine result (indexed by partner_id) as CSV rows in RESULT_COLUMNS order,
    with empty fields for NaN/None (read as NULL by COPY ... CSV): an explanation left None is NULL."""
    frame = result.reset_index()
    out = pd.DataFrame({name: frame[name] for name, _type in RESULT_COLUMNS})
    for name, sql_type in RESULT_COLUMNS:
        if sql_type == "int4":
            out[name] = pd.to_numeric(out[name]).astype("Int64")  # NaN -> <NA>: "" not "12.0"
        elif sql_type == "date":
            days = pd.to_datetime(out[name]).to_numpy().astype("datetime64[D]")
            out[name] = np.where(np.isnat(days), "", days.astype(str))  # ISO dates, far faster than strftime
        elif sql_type == "bool":
            out[name] = np.where(out[name].astype(bool), "t", "f")
        elif sql_type == "float8":
            out[name] = out[name].astype("float64").round(4)
    buffer = io.StringIO()
    out.to_csv(buffer, header=False, index=False, na_rep="")
    buffer.seek(0)
    return buffer


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
    """COPY statement streaming the fact query (partner_id, day, amount, peer_group) in the binary
    layout of FACT_ROW, ordered by customer."""
    return (
        "COPY (SELECT partner_id::int4, day::int4, amount::float8, COALESCE(peer_group, -1)::int4 "
        "FROM (%s) facts ORDER BY partner_id) TO STDOUT WITH (FORMAT binary)" % query_sql
    )


def _facts_frame(rows):
    """Frame of FACT_ROW records as read_order_facts returns it (peer group -1 -> NaN)."""
    if len(rows) and not (
        (rows["fields"] == 4).all()
        and (rows["partner_len"] == 4).all()
        and (rows["day_len"] == 4).all()
        and (rows["amount_len"] == 8).all()
        and (rows["peer_len"] == 4).all()
    ):
        raise ValueError("unexpected row layout in the binary COPY of the order facts")
    peer = rows["peer_group"].astype("float64")
    peer[peer < 0] = np.nan
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
    the last shard. ``shards`` counts the frames handed over, ``rows`` the rows."""

    def __init__(self, on_shard, shard_bytes=64 << 20):
        self.on_shard = on_shard
        self.shard_bytes = max(int(shard_bytes), FACT_ROW.itemsize)
        self.shards = self.rows = 0
        self._parts = []
        self._size = 0
        self._header = None  # bytes of the header not read yet (None: not started)

    def write(self, data):
        data = bytes(data)
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self.shard_bytes:
            self._flush(final=False)
        return len(data)

    def close(self):
        self._flush(final=True)

    def _emit(self, rows):
        if len(rows):
            self.shards += 1
            self.rows += len(rows)
            self.on_shard(_facts_frame(rows))

    def _flush(self, final):
        blob = b"".join(self._parts)
        self._parts, self._size = [], 0
        if self._header is None:
            if len(blob) < 19 and not final:
                self._parts, self._size = [blob], len(blob)
                return
            if not blob.startswith(COPY_SIGNATURE) or len(blob) < 19:
                raise ValueError("not a binary COPY stream")
            extension = int.from_bytes(blob[15:19], "big")
            blob = blob[19 + extension :]
            self._header = b""
        if final:
            if not blob.endswith(COPY_TRAILER) or (len(blob) - 2) % FACT_ROW.itemsize:
                raise ValueError("truncated binary COPY stream of the order facts")
            self._emit(np.frombuffer(blob, FACT_ROW, count=(len(blob) - 2) // FACT_ROW.itemsize))
            return
        count = len(blob) // FACT_ROW.itemsize
        rows = np.frombuffer(blob, FACT_ROW, count=count)
        # the rows of the last customer may go on in the next write: keep them for the next shard
        keep_from = int(np.searchsorted(rows["partner_id"], rows["partner_id"][-1], side="left")) if count else 0
        self._emit(rows[:keep_from])
        rest = blob[keep_from * FACT_ROW.itemsize :]
        self._parts, self._size = [rest], len(rest)

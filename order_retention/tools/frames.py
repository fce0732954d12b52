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


FACT_COLUMNS = ("partner_id", "day", "amount", "peer_group")
FACT_DTYPES = {"partner_id": "int64", "day": "int64", "amount": "float64", "peer_group": "float64"}


def _facts_frame(block):
    """Frame of fact rows (CSV bytes without header) as read_order_facts returns it."""
    frame = pd.read_csv(io.BytesIO(block), names=list(FACT_COLUMNS), header=None, dtype=FACT_DTYPES, engine="c")
    frame.insert(1, "date", pd.to_datetime(frame.pop("day"), unit="D"))
    return frame


class ShardedFactSink:
    """File-like target of ``COPY (fact query ORDER BY partner_id) TO STDOUT WITH (FORMAT csv)``: hands
    the rows to ``on_shard`` as frames of about ``shard_bytes`` of CSV each, never splitting one
    customer's rows over two shards, so that memory holds one shard of orders, not the whole base.
    Call ``close()`` after the COPY for the last shard. ``shards`` counts the frames handed over."""

    def __init__(self, on_shard, shard_bytes=64 << 20):
        self.on_shard = on_shard
        self.shard_bytes = max(int(shard_bytes), 1)
        self.shards = 0
        self._parts = []
        self._size = 0

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self.shard_bytes:
            self._flush(final=False)
        return len(data)

    def close(self):
        self._flush(final=True)

    def _emit(self, block):
        if block.strip():
            self.shards += 1
            self.on_shard(_facts_frame(block))

    def _flush(self, final):
        blob = b"".join(self._parts)
        self._parts, self._size = [], 0
        if final:
            self._emit(blob)
            return
        complete = blob.rfind(b"\n") + 1  # rows after it are not complete yet
        if not complete:
            self._parts, self._size = [blob], len(blob)
            return
        # the rows of the last customer may go on in the next write: keep them for the next shard
        last_start = blob.rfind(b"\n", 0, complete - 1) + 1
        key = blob[last_start : blob.index(b",", last_start)] + b","
        start = last_start
        while start > 0:
            previous = blob.rfind(b"\n", 0, start - 1) + 1
            if not blob.startswith(key, previous):
                break
            start = previous
        self._emit(blob[:start])
        rest = blob[start:]
        self._parts, self._size = [rest], len(rest)

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


# The engine results in binary COPY layout (the columns of RESULT_COLUMNS, after the company and whether this is its
# first classification): statuses and RFM segments as 1-based codes into STATUSES / RFM_SEGMENTS, the RFM score as
# its number (545), dates as days since 2000-01-01 (PostgreSQL's binary date), NaN floats and team -1 for NULL. They
# are copied as they are into the stage table; ``result_raw_select`` reads them back with labels and NULLs.
RESULT_ROW_FIELDS = [
    ("company_id", ">i4"),
    ("first_classification", "u1"),
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
_SQL_TYPES = {">i2": "int2", ">i4": "int4", ">f8": "float8", "u1": "bool"}
_DATE_FIELDS = ("last_order_date", "expected_next_date", "warning_date")
_PG_EPOCH = np.datetime64("2000-01-01", "D")


def result_raw_columns():
    """(name, SQL type) of the table the binary rows are copied into."""
    return [(name, "date" if name in _DATE_FIELDS else _SQL_TYPES[code]) for name, code in RESULT_ROW_FIELDS]


def result_raw_select(raw_table):
    """SQL (str) selecting the company, first_classification and RESULT_COLUMNS from the binary rows' table, NULLs
    and codes restored."""
    statuses = "ARRAY[%s]::varchar[]" % ", ".join("'%s'" % status for status in STATUSES)
    segments = "ARRAY[%s]::varchar[]" % ", ".join("'%s'" % segment.replace("'", "''") for segment in RFM_SEGMENTS)
    nullable = {"mean_gap", "std_gap"}
    columns = ["r.company_id", "r.first_classification"]
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


# the row fields result_to_binary fills one by one (the figures are copied in a loop)
_NOT_FIGURES = ("company_id", "first_classification", "partner_id", "status", "rfm_segment", "rfm_score", "team_id")
# every row's field count and field lengths, the same in every row: written once, copied into each row
_RESULT_TEMPLATE = np.zeros(1, dtype=RESULT_ROW)
_RESULT_TEMPLATE["fields"] = len(RESULT_ROW_FIELDS)
for _name, _code in RESULT_ROW_FIELDS:
    _RESULT_TEMPLATE["%s_len" % _name] = np.dtype(_code).itemsize


def result_to_binary(result, company_id=0, first_classification=False):
    """An engine result (indexed by partner_id, with ``team_id``) of the company ``company_id`` as a binary COPY
    stream of RESULT_ROW rows. Floats are rounded to 4 decimals (as stored: a figure that did not move compares
    equal to yesterday's)."""
    rows = np.repeat(_RESULT_TEMPLATE, len(result))
    rows["company_id"] = company_id
    rows["first_classification"] = bool(first_classification)
    rows["partner_id"] = result.index.to_numpy()
    rows["status"] = _codes(result["status"], STATUSES)
    rows["rfm_segment"] = _codes(result["rfm_segment"], RFM_SEGMENTS)
    # the score's three digits are the R, F and M scores (rfm.rfm_scores): its number without parsing a million strings
    r, f, m = (result[name].to_numpy() for name in ("rfm_recency", "rfm_frequency", "rfm_monetary"))
    rows["rfm_score"] = r * 100 + f * 10 + m
    for name in _DATE_FIELDS:
        rows[name] = (np.asarray(result[name], dtype="datetime64[D]") - _PG_EPOCH).astype("int64")
    team = pd.to_numeric(result["team_id"]).to_numpy(dtype="float64")
    rows["team_id"] = np.where(np.isnan(team), -1, team).astype("int64")
    for name, code in RESULT_ROW_FIELDS:
        if name in _NOT_FIGURES or name in _DATE_FIELDS:
            continue
        values = result[name].to_numpy(dtype="float64")
        rows[name] = np.round(values, 4) if code == ">f8" else values
    return PiecesReader(COPY_SIGNATURE + bytes(8), rows.view(np.uint8), COPY_TRAILER)


class PiecesReader(io.RawIOBase):
    """A readable file over a few buffers in a row (a COPY's header, its rows, its trailer), read without first
    copying them into one: ``read(size)`` hands at most ``size`` bytes of the current buffer."""

    def __init__(self, *pieces):
        super().__init__()
        self._pieces = [memoryview(piece).cast("B") for piece in pieces]
        self._at = 0

    def readable(self):
        return True

    def take(self, size=-1):
        """At most ``size`` bytes (all of the current buffer when negative); empty at the end."""
        while self._pieces and self._at >= len(self._pieces[0]):
            self._pieces.pop(0)
            self._at = 0
        if not self._pieces:
            return b""
        piece = self._pieces[0]
        end = len(piece) if size is None or size < 0 else min(len(piece), self._at + size)
        data = bytes(piece[self._at : end])
        self._at = end
        return data

    read = take  # the file-like name psycopg2's copy_expert calls


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


# The order facts travel one row per customer in PostgreSQL's binary COPY format: field count (4), partner id
# int4, the days of its orders (int4[], days since 1970, in date order), their amounts (float8[], same order) and
# the sales team of its latest order (int4, -1 for none). Ten times fewer rows than one per order: psycopg2 hands
# a COPY over one row per call to ``write``, and those calls were half the time of reading a million customers.
# A row of n orders is 66 + 20 n bytes: the offsets below are from the start of a row.
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_TRAILER = b"\xff\xff"
_ROW_FIXED, _ROW_PER_ORDER = 66, 20
_INT4_OID, _FLOAT8_OID = 23, 701
_DAYS_AT = 34  # the first (length, value) pair of the days array; its header (ndim, flags, type, n, lbound) is before
_PARTNER_AT, _COUNT_AT = 6, 26  # the partner id; the order count (the days array's size)


# The fact query (partner_id, day, amount, team_id, ordered_at, order_id, ordered by customer, then date and id) as
# one row per customer in the layout read by ShardedFactSink: the arrays keep the query's order (each customer's rows
# reach the aggregate in it), so the last team is the latest order's. ``%s``: the fact query. The rows kept between
# nights (models/retention_fact_cache.py) are these rows.
FACT_ROWS = (
    "SELECT partner_id::int4, array_agg(day::int4), array_agg(amount::float8), "
    "COALESCE((array_agg(team_id))[count(*)], -1)::int4 "
    "FROM (%s) facts GROUP BY partner_id ORDER BY partner_id"
)


def fact_copy_sql(rows_sql):
    """COPY statement streaming ``rows_sql`` (rows in the layout of FACT_ROWS) in binary."""
    return "COPY (%s) TO STDOUT WITH (FORMAT binary)" % rows_sql


def _int4_at(view, positions):
    """Big-endian int4 values at the byte ``positions`` of ``view`` (a uint8 array), as int64."""
    return np.lib.stride_tricks.sliding_window_view(view, 4)[positions].view(">i4")[:, 0].astype("int64")


def _walk_rows(view, start, stop):
    """Start of every whole row between ``start`` and ``stop``, read one after the other from each row's own
    length (the order count in its days array), and where the next (incomplete) row starts."""
    starts = []
    position = start
    while position + _DAYS_AT <= stop:
        count = int.from_bytes(view[position + _COUNT_AT : position + _COUNT_AT + 4], "big")
        if count < 1:
            raise ValueError("a customer row without orders in the binary COPY of the order facts")
        end = position + _ROW_FIXED + _ROW_PER_ORDER * count
        if end > stop:
            break
        starts.append(position)
        position = end
    return np.array(starts, dtype="int64"), position


def _rows_from_writes(view, ends, start, stop):
    """Start of every row between ``start`` and ``stop`` when each ``write`` of the stream brought exactly one
    row (psycopg2 hands a COPY over one row per call): the ends of the writes after ``start``. None when the
    writes fall elsewhere (the caller then walks the rows one by one)."""
    ends = np.asarray(ends, dtype="int64")
    ends = ends[ends > start]
    if not len(ends) or ends[-1] != stop:
        return None
    starts = np.r_[start, ends[:-1]]
    lengths = ends - starts
    if (lengths < _ROW_FIXED + _ROW_PER_ORDER).any():
        return None
    counts = _int4_at(view, starts + _COUNT_AT)
    if not (lengths == _ROW_FIXED + _ROW_PER_ORDER * counts).all():
        return None
    return starts


def _teams(view, starts, counts):
    """The sales team of the latest order of the customer rows at ``starts`` (the row's last field), NaN for none."""
    team = _int4_at(view, starts + _ROW_FIXED + _ROW_PER_ORDER * counts - 4).astype("float64")
    team[team < 0] = np.nan
    return team


def _customer_rows(view, starts):
    """The order frame of the customer rows starting at ``starts``: one row per order (partner_id, date,
    amount, peer_group: the team of the customer's latest order, NaN for none), checked field by field."""
    partner, day, amount, peer = _customer_arrays(view, starts)
    return pd.DataFrame(
        {
            "partner_id": partner,
            "date": day.astype("datetime64[D]").astype("datetime64[ns]"),
            "amount": amount,
            "peer_group": peer,
        }
    )


def _customer_arrays(view, starts):
    """The orders of the customer rows starting at ``starts`` as arrays, one entry per order: partner id (int64),
    day since 1970 (int64), amount (float64), peer group (float64: the team of the customer's latest order, NaN for
    none); every field's length and every array's header checked, so that the arrays are what the engine takes
    without another validation."""
    if not len(starts):
        return (np.zeros(0, "int64"), np.zeros(0, "int64"), np.zeros(0, "float64"), np.zeros(0, "float64"))
    counts = _int4_at(view, starts + _COUNT_AT)
    amounts_at = starts + _DAYS_AT + 8 * counts  # the amounts array's length field
    ends = starts + _ROW_FIXED + _ROW_PER_ORDER * counts
    expected = [  # (where, what): lengths, array headers (1 dimension, no NULL, type, size, lower bound 1)
        (starts + 2, 4),
        (starts + 10, 20 + 8 * counts),
        (starts + 14, 1),
        (starts + 18, 0),
        (starts + 22, _INT4_OID),
        (starts + 30, 1),
        (amounts_at, 20 + 12 * counts),
        (amounts_at + 4, 1),
        (amounts_at + 8, 0),
        (amounts_at + 12, _FLOAT8_OID),
        (amounts_at + 16, counts),
        (amounts_at + 20, 1),
        (ends - 8, 4),
    ]
    fields = view[starts].astype("int64") * 256 + view[starts + 1]
    if not ((fields == 4).all() and all((_int4_at(view, where) == what).all() for where, what in expected)):
        raise ValueError("unexpected row layout in the binary COPY of the order facts")
    # every order's place: the k-th order of a customer is k pairs into each array
    first = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(first), dtype="int64") - first
    day_at = np.repeat(starts + _DAYS_AT, counts) + 8 * k
    amount_at = np.repeat(amounts_at + 24, counts) + 12 * k
    if not ((_int4_at(view, day_at) == 4).all() and (_int4_at(view, amount_at) == 8).all()):
        raise ValueError("an empty order date or amount in the binary COPY of the order facts")
    windows = np.lib.stride_tricks.sliding_window_view(view, 8)
    return (
        np.repeat(_int4_at(view, starts + _PARTNER_AT), counts),
        _int4_at(view, day_at + 4),
        windows[amount_at + 4].view(">f8")[:, 0].astype("float64"),
        np.repeat(_teams(view, starts, counts), counts),
    )


class FactShard:
    """Whole customers' rows of the stream (``blob`` from ``starts``): ``orders()`` reads them into the order
    frame (see ``_customer_rows``), in whichever thread runs the engine, while the COPY goes on."""

    def __init__(self, blob, starts, orders_count):
        self.blob, self.starts, self.orders_count = blob, starts, orders_count

    def __len__(self):
        return self.orders_count

    def orders(self):
        return _customer_rows(np.frombuffer(self.blob, dtype=np.uint8), self.starts)

    def arrays(self):
        """The orders as the engine's arrays (``CadenceShards.add_arrays``): no frame, nothing to validate again."""
        return _customer_arrays(np.frombuffer(self.blob, dtype=np.uint8), self.starts)

    def teams(self):
        """The sales team of each customer's latest order (NaN: none), indexed by partner id."""
        view = np.frombuffer(self.blob, dtype=np.uint8)
        team = _teams(view, self.starts, _int4_at(view, self.starts + _COUNT_AT))
        return pd.Series(
            team, index=pd.Index(_int4_at(view, self.starts + _PARTNER_AT), name="partner_id"), name="peer_group"
        )


class ShardedFactSink:
    """File-like target of the COPY of ``fact_copy_sql``: hands the stream to ``on_shard`` as FactShard objects
    of about ``shard_bytes`` each, never splitting one customer over two shards, so that memory holds a shard or
    two of orders, not the whole base. Call ``close()`` after the COPY for the last shard. ``shards`` counts the
    shards handed over, ``rows`` the orders in them.

    psycopg2 calls ``write`` once per row of a COPY: the pieces go into one growing buffer and their ends are
    noted, which gives the rows' starts at once; pieces cut elsewhere are read row by row instead."""

    def __init__(self, on_shard, shard_bytes=64 << 20):
        self.on_shard = on_shard
        self.shard_bytes = max(int(shard_bytes), _ROW_FIXED)
        self.shards = self.rows = 0
        self._buffer = bytearray()
        self._ends = []
        self._started = False  # the 19-byte header (and its extension) read

    def receive(self, data):
        """What COPY calls with each piece of the stream (``write``, the file-like name)."""
        buffer = self._buffer
        buffer += data
        self._ends.append(len(buffer))
        if len(buffer) >= self.shard_bytes:
            self._flush(final=False)
        return len(data)

    write = receive  # a file-like object for psycopg2's copy_expert

    def close(self):
        self._flush(final=True)

    def _flush(self, final):
        blob, ends = self._buffer, self._ends
        self._buffer, self._ends = bytearray(), []
        start = 0
        if not self._started:
            if len(blob) < 19 and not final:
                self._buffer, self._ends = blob, ends
                return
            if not blob.startswith(COPY_SIGNATURE) or len(blob) < 19:
                raise ValueError("not a binary COPY stream")
            start = 19 + int.from_bytes(blob[15:19], "big")
            self._started = True
        stop = len(blob) - 2 if final else len(blob)
        if final and not blob.endswith(COPY_TRAILER):
            raise ValueError("truncated binary COPY stream of the order facts")
        view = np.frombuffer(blob, dtype=np.uint8)
        starts = _rows_from_writes(view, ends[:-1] if final else ends, start, stop) if stop > start else None
        if starts is not None:
            rest = stop
        else:
            starts, rest = _walk_rows(view, start, stop)
        if final and rest != stop:
            raise ValueError("truncated binary COPY stream of the order facts")
        orders_count = int(_int4_at(view, starts + _COUNT_AT).sum()) if len(starts) else 0
        del view
        if rest < len(blob) and not final:
            self._buffer = bytearray(memoryview(blob)[rest:])
            self._ends = [end - rest for end in ends if end > rest]
            del blob[rest:]
        if len(starts):
            self.shards += 1
            self.rows += orders_count
            self.on_shard(FactShard(blob, starts, orders_count))

"""Fields of the figures the nightly cycle computes (retention.customer): shown like any Float / Monetary (their
``digits`` or currency round them on screen, in exports and in the cache), stored as double precision.

Odoo stores a Float with ``digits`` and every Monetary as ``numeric``. The cycle's figures come out of the engine as
float64 and go in by the million in SQL: every value converted to ``numeric`` on the way in (PostgreSQL prints the
double and parses the text, about 0.4 µs) and back to ``float8`` in each nightly comparison with the stored figures.
At one million customers that was 3.1 s of the first night's insert of eleven such columns (3.9 s against 0.8 s for
the same rows in ``float8``) and a third of the comparison's time every night. They are estimates (days, chances,
yearly values), not amounts booked anywhere: double precision, which Odoo itself uses for a Float without digits
"because it is faster for most operations", holds them exactly as the engine computed them.

A database of an earlier version has them in ``numeric``: the migration of 18.0.1.5.0 converts the columns in one
rewrite of the table (the ORM would convert them one column, and one rewrite, at a time).
"""

from odoo import fields

# what the columns become (the ORM's column type of a field: (PostgreSQL's udt name, SQL type))
FIGURE_COLUMN = ("float8", "double precision")


class FigureFloat(fields.Float):
    """A Float computed by the cycle: rounded to its ``digits`` where it is shown, stored as double precision."""

    _column_type = FIGURE_COLUMN


class FigureMonetary(fields.Monetary):
    """An amount estimated by the cycle (in the company currency): rounded to the currency where it is shown,
    stored as double precision."""

    _column_type = FIGURE_COLUMN

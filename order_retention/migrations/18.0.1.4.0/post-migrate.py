"""18.0.1.4.0: the cycle's two big tables lose their creator and writer columns.

retention_customer and retention_status_history are written by the cycle in bulk (``retention_last_computed`` and
``date`` say when); their create_uid / write_uid were the cycle's user on every row, and the foreign key checks of
those two columns took about 6 s of each million rows the first night inserts. The models have ``_log_access =
False``: the four columns (and their foreign keys) are dropped where a database still has them (the fields' records
go with the module update, as for any field no longer in the code).
"""

import logging

_logger = logging.getLogger(__name__)

TABLES = ("retention_customer", "retention_status_history")
COLUMNS = ("create_uid", "create_date", "write_uid", "write_date")


def migrate(cr, version):
    if not version:
        return
    for table in TABLES:
        cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name IN %s",
            (table, COLUMNS),
        )
        present = [name for (name,) in cr.fetchall()]
        if present:
            cr.execute("ALTER TABLE %s %s" % (table, ", ".join("DROP COLUMN IF EXISTS %s" % name for name in present)))
            _logger.info("order_retention: dropped %s of %s", ", ".join(present), table)

"""18.0.1.1.0: the status history stores the figures of each change and renders its sentence in the reader's
language; the sentences written by earlier versions (English) are kept as ``explanation_text``."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'retention_status_history' AND column_name = 'explanation'
        """
    )
    if cr.fetchone():
        cr.execute("ALTER TABLE retention_status_history RENAME COLUMN explanation TO explanation_text")

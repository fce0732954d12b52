"""18.0.1.2.0: a retention call's "Why Now" ("No. 3 of 412") is stored as its two figures and rendered in the reader's
language; the text written by earlier versions (in the assignee's language of that night) becomes the figures."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'mail_activity' AND column_name = 'retention_chosen'
        """
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        ALTER TABLE mail_activity
            ADD COLUMN IF NOT EXISTS retention_chosen_rank integer,
            ADD COLUMN IF NOT EXISTS retention_chosen_waiting integer
        """
    )
    # "No. 3 of 412", "№ 3 з 412", "№ 3 из 412": the first two whole numbers of the text
    cr.execute(
        r"""
        UPDATE mail_activity
           SET retention_chosen_rank = (regexp_match(retention_chosen, '(\d+)\D+(\d+)'))[1]::integer,
               retention_chosen_waiting = (regexp_match(retention_chosen, '(\d+)\D+(\d+)'))[2]::integer
         WHERE retention_chosen ~ '\d+\D+\d+'
        """
    )
    cr.execute("ALTER TABLE mail_activity DROP COLUMN retention_chosen")

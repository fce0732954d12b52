from . import mail_activity

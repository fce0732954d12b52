from . import test_mailing_filters

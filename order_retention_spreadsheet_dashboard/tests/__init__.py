from . import test_retention_dashboard

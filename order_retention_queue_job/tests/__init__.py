from . import test_retention_queue_job

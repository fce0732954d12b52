from . import test_retention_queue_job
from . import test_queue_job_rpc

{
    "name": "Order Retention - Job Queue",
    "summary": "Run the daily retention cycle as queue jobs: recompute, write-back shards in parallel and the "
    "call allocation, retried and visible in Queue Jobs",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Sales/Sales",
    "website": "https://example.com/order_retention",
    "author": "order_retention maintainers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["queue_job", "order_retention"],
    "data": [
        "data/queue_job_data.xml",
    ],
}

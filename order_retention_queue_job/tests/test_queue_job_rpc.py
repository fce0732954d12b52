import json

from odoo.tests import HttpCase, new_test_user, tagged

PASSWORD = "Queue-Rpc-2026!"


@tagged("post_install", "-at_install", "order_retention_queue_job")
class TestQueueJobRpc(HttpCase):
    """queue_job's job builders are not RPC endpoints: over JSON-RPC, with or without ids, a salesperson gets
    a clear refusal instead of a traceback (IndexError without ids; issue #21)."""

    def _rpc(self, model, method, args):
        payload = {
            "id": 1,
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": args, "kwargs": {}},
        }
        response = self.url_open(
            "/web/dataset/call_kw/%s/%s" % (model, method),
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        return response.json().get("error")

    def test_job_builders_refused_over_rpc(self):
        user = new_test_user(self.env, "qj_rpc_sales", groups="sales_team.group_sale_salesman", password=PASSWORD)
        partner = self.env["res.partner"].create({"name": "Queue RPC Customer"})
        self.authenticate(user.login, PASSWORD)
        for model in ("res.partner", "retention.cycle", "mail.activity"):
            for method in ("with_delay", "delayable"):
                for args in ([], [[partner.id]], [[partner.id], {"priority": 1}]):
                    with self.subTest(model=model, method=method, args=args):
                        error = self._rpc(model, method, args)
                        self.assertTrue(error, "the job builder answered over RPC")
                        self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError", error["data"])
                        self.assertIn("cannot be called remotely", error["data"]["message"])

    def test_job_builders_still_work_in_server_code(self):
        """Private only for RPC: the cycle's own code still enqueues jobs."""
        job = self.env["res.partner"].with_delay(priority=5).name_search("x")
        self.assertEqual(job.db_record().priority, 5)

import datetime

import pandas as pd

from odoo.exceptions import UserError
from odoo.tests import BaseCase, Form, tagged

from ..tools import backtest
from .common import RetentionCommon

D = datetime.timedelta
AS_OF = datetime.date(2025, 6, 30)


@tagged("post_install", "-at_install", "order_retention")
class TestToolsBacktest(BaseCase):
    def test_metrics(self):
        """Per-status order rates and precision/recall of the lost and missing flags against what happened."""
        rows = []
        for pid in range(1, 5):  # regular buyers every 10 days who keep ordering after as_of
            rows += [(pid, AS_OF - D(days=2 + 10 * i), 10.0) for i in range(10)]
            rows += [(pid, AS_OF + D(days=5), 10.0)]
        for pid in range(5, 9):  # silent for 200 days and never come back
            rows += [(pid, AS_OF - D(days=200 + 10 * i), 10.0) for i in range(10)]
        rows += [(9, AS_OF - D(days=300 + 10 * i), 10.0) for i in range(10)] + [(9, AS_OF + D(days=30), 10.0)]
        per_status, metrics = backtest.backtest(pd.DataFrame(rows, columns=["partner_id", "date", "amount"]), AS_OF, 90)
        self.assertEqual(list(per_status.index), ["active", "warm", "cold", "lost"])
        self.assertEqual(per_status.loc["active", "customers"], 4)
        self.assertEqual(per_status.loc["active", "order_rate"], 1.0)
        self.assertEqual(per_status.loc["lost", "customers"], 5)
        self.assertEqual(per_status.loc["lost", "ordered"], 1, "the comeback")
        self.assertEqual(metrics["customers"], 9)
        self.assertEqual(metrics["no_order"], 4)
        self.assertAlmostEqual(metrics["lost_precision"], 4 / 5)
        self.assertAlmostEqual(metrics["lost_recall"], 1.0)
        self.assertAlmostEqual(metrics["missing_precision"], 4 / 5)

    def test_bad_horizon(self):
        """A horizon below one day is refused."""
        with self.assertRaises(ValueError):
            backtest.backtest(pd.DataFrame({"partner_id": [1], "date": [AS_OF], "amount": [1.0]}), AS_OF, 0)


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionBacktestWizard(RetentionCommon):
    def test_wizard_runs_on_company_history(self):
        """The manager's backtest wizard classifies as of a past date and fills per-status results."""
        churner = self._create_customer("Backtest Churner", user=self.salesman)
        self._create_orders(churner, self._regular_dates(self.BASE, 10, 10))
        loyal = self._create_customer("Backtest Loyal", user=self.salesman)
        self._create_orders(loyal, self._regular_dates(self.BASE + D(days=120), 10, 22))
        wizard = Form(self.env["retention.backtest"].with_user(self.leader))
        wizard.as_of = self.BASE + D(days=60)
        wizard.horizon_days = 60
        record = wizard.save()
        record.action_run()
        self.assertTrue(record.done)
        self.assertGreaterEqual(record.customers, 2)
        self.assertEqual(len(record.line_ids), 4)
        lost_line = record.line_ids.filtered(lambda line: line.status == "lost")
        self.assertGreaterEqual(lost_line.customers, 1)
        self.assertGreater(record.lost_precision, 0)

    def test_future_horizon_refused(self):
        """A horizon that has not passed yet is refused with the latest usable date."""
        with self.assertRaisesRegex(UserError, "pick a date before"):
            self.env["retention.backtest"].create({"as_of": datetime.date.today() - D(days=10), "horizon_days": 90})

    def test_salesman_has_no_access(self):
        """Only sales managers run backtests."""
        from odoo.exceptions import AccessError

        with self.assertRaises(AccessError):
            self.env["retention.backtest"].with_user(self.salesman).create({"as_of": self.BASE, "horizon_days": 30})

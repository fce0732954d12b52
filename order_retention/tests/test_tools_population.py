"""tools/population.py and tools/scoring.py on their own: per-customer summaries, the statuses under the
rules and the learned model, the run-rate; and the engine's loading without Odoo."""

import os
import re
import subprocess
import sys

import numpy as np
from numpy.testing import assert_allclose

from odoo.tests import BaseCase, tagged

from ..tools import population, scoring
from ..tools.churn_model import ChurnModel
from ..tools.params import CadenceParams

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")


@tagged("post_install", "-at_install", "order_retention")
class TestToolsPopulation(BaseCase):
    def test_summarise(self):
        """Orders of one day are one occasion (amounts add up), in any row order; the peer group is that of
        the latest order that has one; peer codes grow over calls and agree across shards."""
        pid = np.array([7, 3, 7, 7, 3, 7])
        day = np.array([20, 5, 10, 10, 9, 30])
        amount = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        peer = np.array(["b", "a", "a", None, "a", None], dtype=object)
        index = {"z": 0}
        summary, occasions = population.summarise(pid, day, amount, peer, index)
        self.assertEqual(index, {"z": 0, "a": 1, "b": 2})
        self.assertEqual(summary["partner_id"].tolist(), [3, 7])
        self.assertEqual(summary["count"].tolist(), [2, 3])
        self.assertEqual((summary["first"].tolist(), summary["last"].tolist()), ([5, 10], [9, 30]))
        self.assertEqual(summary["total"].tolist(), [7.0, 14.0])
        self.assertEqual(summary["k"].tolist(), [1.0, 2.0])
        self.assertEqual(summary["mean_gap"].tolist(), [4.0, 10.0])
        assert_allclose(summary["mean_log"], [np.log(4), (np.log(10) + np.log(10)) / 2])
        self.assertEqual(summary["peer"].tolist(), [1, 2], "7: 'b' on day 20, its last order has no group")
        self.assertEqual(occasions["amount"].tolist(), [2.0, 5.0, 7.0, 1.0, 6.0])
        again, _occ = population.summarise(pid[::-1], day[::-1], amount[::-1], peer[::-1], index)
        for key, values in summary.items():
            assert_allclose(again[key], values, err_msg=key)

    def test_rule_status_table(self):
        """Active up to the expected gap, warm up to the warning level, then cold; lost once the alert fired
        and either improbable beyond 2 × the warning level or silent beyond the cap."""
        params = CadenceParams()
        cases = [
            # days silent, P(no order in 90 days) -> status (expected gap 10, warning level 15)
            (10, 0.0, "active"),
            (11, 0.0, "warm"),
            (15, 0.99, "warm"),
            (16, 0.5, "cold"),
            (30, 0.99, "cold"),
            (31, 0.99, "lost"),
            (31, 0.5, "cold"),
            (366, 0.0, "lost"),
        ]
        days = np.array([c[0] for c in cases])
        status = scoring.rule_status(
            days, np.full(len(cases), 10.0), np.full(len(cases), 15.0), np.array([c[1] for c in cases]), params
        )
        self.assertEqual(status.tolist(), [c[2] for c in cases])
        off = scoring.rule_status(
            days,
            np.full(len(cases), 10.0),
            np.full(len(cases), 15.0),
            np.ones(len(cases)),
            CadenceParams(lost_probability=1.0),
        )
        self.assertEqual(off.tolist(), ["active", "warm", "warm", "cold", "cold", "cold", "cold", "lost"])

    def test_learned_status_table(self):
        """The model decides who of the cold-or-lost is lost; the rules' other lost become cold; active and
        warm stay."""
        model = ChurnModel(used=True, fallback_reason="", horizon_days=180, lost_threshold=0.6)
        rules = np.array(["active", "warm", "cold", "cold", "lost", "lost"], dtype=object)
        churn = np.array([0.99, 0.99, 0.6, 0.59, 0.9, 0.1])
        status = scoring.learned_status(rules, churn, model)
        self.assertEqual(status.tolist(), ["active", "warm", "lost", "cold", "lost", "cold"])
        self.assertEqual(rules.tolist()[2], "cold", "the rules' statuses are kept apart")

    def test_annual_value(self):
        """n orders of a every g days: a·365.25/g; one order: over its expected gap or its silence."""
        value = scoring.annual_value(
            count=np.array([12, 1, 1, 1]),
            first=np.array([0, 50, 50, 50]),
            last=np.array([110, 50, 50, 50]),
            total=np.array([1200.0, 100.0, 100.0, -5.0]),
            expected=np.array([10.0, 20.0, 20.0, 20.0]),
            days_since=np.array([3, 5, 40, 5]),
        )
        assert_allclose(value, [100 * 365.25 / 10, 100 * 365.25 / 20, 100 * 365.25 / 40, 0.0])

    def test_empty_result(self):
        """No customer: every column, an int64 index, the fallback model."""
        frame = scoring.empty_result(CadenceParams(churn_horizon_days=90))
        self.assertEqual(list(frame.columns), scoring.RESULT_COLUMNS)
        self.assertEqual((frame.index.dtype, frame.index.name), (np.dtype("int64"), "partner_id"))
        self.assertEqual(frame.attrs["churn_model"].horizon_days, 90)


@tagged("post_install", "-at_install", "order_retention")
class TestToolsEngineLoading(BaseCase):
    def test_loads_by_path_without_odoo(self):
        """In a fresh interpreter where Odoo cannot be imported, tools/cadence.py loads by its path alone (as
        scripts/benchmark.py loads it), twice, without a warning, and scores; no engine module imports Odoo."""
        code = """
import datetime, importlib.util, sys
sys.modules["odoo"] = None
import pandas as pd
for name in ("engine_a", "engine_a"):
    spec = importlib.util.spec_from_file_location(name, sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
orders = pd.DataFrame({"partner_id": [1, 1], "date": ["2026-01-01", "2026-01-11"], "amount": [5.0, 5.0]})
result = module.compute_cadence(orders, datetime.date(2026, 1, 31))
print(result.loc[1, "status"], module.ChurnModel.__module__)
"""
        done = subprocess.run(
            [sys.executable, "-W", "error", "-c", code, os.path.join(TOOLS, "cadence.py")],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.split(), ["cold", "engine_a_engine.churn_model"])
        for name in (
            "params",
            "population",
            "rhythm",
            "bgnbd",
            "churn_model",
            "logistic",
            "rfm",
            "explanations",
            "scoring",
            "cadence",
        ):
            with self.subTest(module=name), open(os.path.join(TOOLS, name + ".py")) as source:
                self.assertIsNone(re.search(r"^\s*(import|from)\s+odoo", source.read(), re.M))

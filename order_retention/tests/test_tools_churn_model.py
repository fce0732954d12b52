"""tools/churn_model.py and tools/logistic.py on their own: the features seen from a past day, the stored
model, the scores, and the regression's statistics."""

import datetime
import math

import numpy as np
from numpy.testing import assert_allclose

from odoo.tests import BaseCase, tagged

from ..tools import churn_model, logistic, population, rhythm
from ..tools.params import CadenceParams
from .test_tools_cadence_golden import golden_orders

AS_OF_DAY = int(np.datetime64(datetime.date(2026, 1, 31), "D").astype("int64"))


def summarised(orders):
    """population.summarise of a frame of orders (dates as day numbers, NaN amounts as 0)."""
    days = orders["date"].to_numpy(dtype="datetime64[D]").astype("int64")
    keep = days <= AS_OF_DAY
    return population.summarise(
        orders["partner_id"].to_numpy(dtype="int64")[keep],
        days[keep],
        np.nan_to_num(orders["amount"].to_numpy(dtype="float64")[keep]),
        orders["peer_group"].to_numpy()[keep],
        {},
    )


@tagged("post_install", "-at_install", "order_retention")
class TestToolsChurnModelDirect(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.orders = golden_orders()
        cls.summary, cls.occasions = summarised(cls.orders)
        cls.occ = churn_model.occasion_arrays(cls.occasions, cls.summary)

    def test_features_seen_from_a_past_day(self):
        """The prefix-sum features of the customers as of a past day equal those of their history cut at that
        day: occasions, silence, silence ÷ expected gap (peer priors from the cut history), average amount."""
        params = CadenceParams()
        for back in (30, 95, 180):
            with self.subTest(days_back=back):
                origin = AS_OF_DAY - back
                features, present, count = churn_model._churn_features(self.occ, origin, back, params)
                cut, _occasions = summarised(self.orders[self.orders["date"] < np.datetime64(origin + 1, "D")])
                self.assertEqual(self.summary["partner_id"][present].tolist(), cut["partner_id"].tolist())
                self.assertEqual(count.tolist(), cut["count"].tolist())
                k, sum_log = cut["k"], np.nan_to_num(cut["mean_log"]) * cut["k"]
                # peer codes: the customers' groups as of today (the cut history may know another latest group)
                peer = self.summary["peer"][present]
                expected = np.exp(rhythm.shrunk_mu(k, sum_log, rhythm.peer_mu(peer, k, sum_log, params), 4.0))
                silent = (origin - cut["last"]).astype("float64")
                assert_allclose(features[:, 0], np.log(cut["count"]))
                assert_allclose(features[:, 1], silent)
                assert_allclose(features[:, 2], silent / expected, rtol=1e-9)
                assert_allclose(features[:, 3], np.log1p(np.maximum(cut["total"] / cut["count"], 0)), rtol=1e-9)
                assert_allclose(features[:, 4], math.log(back))

    def test_fit_and_score(self):
        """The fitted model's raw weights score today's features; a row scores the same alone as in a batch;
        the stored form reads back into the same model."""
        params = CadenceParams(churn_min_customers=60)
        first_day = int(self.summary["first"].min())
        model = churn_model.fit_churn_model(self.occ, AS_OF_DAY, first_day, params)
        self.assertTrue(model.used, model.fallback_reason)
        self.assertEqual(model.origins, (30, 60, 90, 120, 150, 180))
        expected = np.full(len(self.summary["count"]), 25.0)
        days = (AS_OF_DAY - self.summary["last"]).astype("int64")
        features = churn_model.today_features(self.summary, expected, days, params)
        assert_allclose(features[:, 4], math.log(180))
        scores = churn_model.predict_churn(model, features)
        linear = features @ np.asarray(model.raw_coefficients) + model.raw_intercept
        assert_allclose(scores, 1 / (1 + np.exp(-linear)), rtol=1e-9)
        for row in (0, 17, len(features) - 1):
            self.assertEqual(churn_model.predict_churn(model, features[row : row + 1])[0], scores[row])
        again = churn_model.churn_model_from_dict(model.as_dict())
        self.assertEqual(again.as_dict(), model.as_dict())
        assert_allclose(churn_model.predict_churn(again, features), scores)

    def test_fallbacks(self):
        """Learning switched off, or too few customers at the oldest origin: the model says why."""
        first_day = int(self.summary["first"].min())
        model = churn_model.fit_churn_model(self.occ, AS_OF_DAY, first_day, CadenceParams(churn_learning=False))
        self.assertEqual((model.used, model.fallback_reason, model.training_rows), (False, "disabled", 0))
        model = churn_model.fit_churn_model(self.occ, AS_OF_DAY, first_day, CadenceParams())
        self.assertEqual((model.used, model.fallback_reason), (False, "few_customers"))
        self.assertLess(model.customers_at_oldest, 200)
        self.assertIn(model.fallback_reason, churn_model.FALLBACK_REASONS)

    def test_model_from_stored_dict(self):
        """Unknown keys are ignored, None is NaN again, lists are tuples, missing keys take their defaults."""
        model = churn_model.churn_model_from_dict({"used": True, "origins": [30, 60], "threshold": None, "x": 1})
        self.assertEqual(model.origins, (30, 60))
        self.assertTrue(math.isnan(model.threshold))
        self.assertEqual((model.fallback_reason, model.horizon_days), ("", 180))
        self.assertEqual(churn_model.churn_model_from_dict(None).used, False)


@tagged("post_install", "-at_install", "order_retention")
class TestToolsLogistic(BaseCase):
    def test_auc_hand_computed(self):
        """Mann-Whitney AUC, ties count half; NaN without both labels."""
        self.assertEqual(logistic.auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75)
        self.assertEqual(logistic.auc_score([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]), 3.5 / 4)
        self.assertTrue(math.isnan(logistic.auc_score([1, 1], [0.2, 0.3])))

    def test_sigmoid_never_overflows(self):
        """Far from 0 the logistic function is 0 or 1, without a warning."""
        with np.errstate(all="raise"):
            assert_allclose(logistic.sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])

    def test_constant_column_and_penalty(self):
        """A constant input gets scale 1 and weight 0; a stronger penalty shrinks the standardised weights."""
        rng = np.random.default_rng(8)
        X = np.column_stack([rng.normal(size=2000), np.full(2000, 3.0)])
        y = rng.random(2000) < 1 / (1 + np.exp(-2 * X[:, 0]))
        _intercept, weights, means, scales = logistic.fit_logistic(X, y, l2=1.0)
        self.assertEqual((means[1], scales[1]), (3.0, 1.0))
        assert_allclose(weights[1], 0.0, atol=1e-9)
        _intercept, strong, _means, _scales = logistic.fit_logistic(X, y, l2=2000.0)
        self.assertLess(abs(strong[0]), abs(weights[0]) * 0.8)

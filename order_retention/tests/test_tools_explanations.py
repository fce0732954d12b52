"""tools/explanations.py on its own: the sentence of each customer from the templates."""

import numpy as np

from odoo.tests import BaseCase, tagged

from ..tools import explanations


@tagged("post_install", "-at_install", "order_retention")
class TestToolsExplanations(BaseCase):
    def test_four_sentences(self):
        """Regular or one order, missing or due: the four template pairs with their numbers."""
        sentences = explanations.explain(
            explanations.DEFAULT_TEMPLATES,
            count=np.array([5, 5, 1, 1]),
            gap=np.array([14, 14, 30, 30]),
            spread=np.array([3, 3, 0, 0]),
            days=np.array([4, 40, 2, 90]),
            warning=np.array([19, 19, 41, 41]),
            last=np.array(["2026-01-27", "2025-12-22", "2026-01-29", "2025-11-02"]),
            nxt=np.array(["2026-02-10", "2026-01-05", "2026-02-28", "2025-12-02"]),
            missing=np.array([False, True, False, True]),
        )
        self.assertEqual(
            sentences,
            [
                "Usually orders every 14±3 days (5 orders); silent for 4 days, next order expected around 2026-02-10.",
                "Usually orders every 14±3 days (5 orders); silent for 40 days, past the 19-day warning level: "
                "missing order.",
                "Only one order so far (2026-01-29); similar customers order every 30 days; silent for 2 days, "
                "next order expected around 2026-02-28.",
                "Only one order so far (2025-11-02); similar customers order every 30 days; silent for 90 days, "
                "past the 41-day warning level: missing order.",
            ],
        )

    def test_churn_chance(self):
        """The learned probability follows each sentence in whole percents (rounded half to even), in the
        caller's "churn" template, or the default one when the templates lack it."""
        churn = np.array([0.125, 0.5, 0.999])
        self.assertEqual(
            explanations.with_churn_chance(["a.", "b.", "c."], explanations.DEFAULT_TEMPLATES, churn, 180),
            [
                "a. Learned from your history: 12% chance of no order in the next 180 days.",
                "b. Learned from your history: 50% chance of no order in the next 180 days.",
                "c. Learned from your history: 100% chance of no order in the next 180 days.",
            ],
        )
        templates = {"churn": " {chance} % / {horizon} j."}
        self.assertEqual(explanations.with_churn_chance(["x"], templates, churn[1:2], 90), ["x 50 % / 90 j."])
        self.assertEqual(
            explanations.with_churn_chance(["x"], {}, churn[1:2], 90),
            ["x Learned from your history: 50% chance of no order in the next 90 days."],
        )

# Pure computation (no Odoo import): cadence.py is the engine's entry point (its docstring maps the engine's
# modules: params, population, rhythm, bgnbd, churn_model, logistic, rfm, explanations, scoring);
# frames.py is COPY <-> pandas.

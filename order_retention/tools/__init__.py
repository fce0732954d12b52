# Pure computation (no Odoo import): see cadence.py (the engine) and frames.py (COPY <-> pandas).

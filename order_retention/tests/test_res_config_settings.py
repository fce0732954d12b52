from odoo.tests import Form, TransactionCase, tagged

from ..models.res_config_settings import COMPANY_PARAMS
from ..models.retention_cancel_reason import retention_cancel_reason_required


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionSettings(TransactionCase):
    """Saving Settings changes what was changed, and nothing else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin_env = cls.env(user=cls.env.ref("base.user_admin"))
        cls.fallback = cls.env["res.users"].create({"name": "Settings Fallback", "login": "ret_settings_fallback"})
        # each setting of the Customer Retention block, with a value other than its default
        cls.changes = {
            "retention_warm_interval_days": 21,
            "retention_cold_interval_days": 0,  # 0 = no follow-up: stored as such
            "retention_lost_interval_days": 45,
            "retention_warning_z": 1.5,
            "retention_cold_multiple": 1.5,
            "retention_lost_probability": 0.9,
            "retention_lost_cap_days": 400,
            "retention_shrinkage_kappa": 6.0,
            "retention_activity_type_id": cls.env.ref("mail.mail_activity_data_call"),
            "retention_fallback_user_id": cls.fallback,
            "retention_min_call_seconds": 30,
            "retention_cancel_reason_required": False,
            "retention_duplicate_window_days": 14,
        }

    def _stored(self):
        """Everything a Settings save can write: system parameters and the company's fields."""
        params = dict(self.env["ir.config_parameter"].sudo().search([]).mapped(lambda p: (p.key, p.value)))
        company = self.env.company
        company_values = {
            name: company[name]
            for name, field in company._fields.items()
            if field.store and not field.compute and name not in ("write_date", "write_uid", "__last_update")
        }
        defaults = set(self.env["ir.default"].sudo().search([]).mapped(lambda d: (d.field_id.id, d.json_value)))
        return params, company_values, defaults

    def _save(self, **values):
        form = Form(self.admin_env["res.config.settings"])
        for name, value in values.items():
            setattr(form, name, value)
        form.save().execute()

    def test_settings_load_stored_values(self):
        """The form opens with what is stored (the reason rule is on by default and stays on)."""
        self.assertTrue(retention_cancel_reason_required(self.env))
        form = Form(self.admin_env["res.config.settings"])
        self.assertTrue(form.retention_cancel_reason_required, "the rule is on: the form must show it checked")
        self.assertEqual(form.retention_warm_interval_days, 14)

    def test_each_setting_changed_alone(self):
        """Saving Settings with one setting changed stores that one and leaves every other stored value as it was."""
        self._save()  # a first plain save writes core defaults once
        self.assertTrue(retention_cancel_reason_required(self.env), "a plain save keeps the reason rule on")
        for name, value in self.changes.items():
            with self.subTest(setting=name):
                before_params, before_company, before_defaults = self._stored()
                self._save(**{name: value})
                after_params, after_company, after_defaults = self._stored()
                changed = {
                    key
                    for key in before_params.keys() | after_params.keys()
                    if before_params.get(key) != after_params.get(key)
                } | {
                    "res.company.%s" % key
                    for key in before_company.keys() | after_company.keys()
                    if before_company.get(key) != after_company.get(key)
                }
                self.assertEqual(len(changed), 1, "only %s may change, changed: %s" % (name, sorted(changed)))
                if name in COMPANY_PARAMS:  # the current company's own setting (each company has its own)
                    self.assertEqual(changed, {"res.company.%s" % name})
                self.assertEqual(before_defaults, after_defaults)
                form = Form(self.admin_env["res.config.settings"])
                self.assertEqual(getattr(form, name), value, "the saved value reads back")
        # after all the saves, every setting holds its new value
        form = Form(self.admin_env["res.config.settings"])
        for name, value in self.changes.items():
            self.assertEqual(getattr(form, name), value, name)
        self.assertFalse(retention_cancel_reason_required(self.env))

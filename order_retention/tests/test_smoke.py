from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install", "order_retention")
class TestSmoke(TransactionCase):
    def test_module_installed(self):
        """The module is installed in the test database."""
        module = self.env["ir.module.module"].search([("name", "=", "order_retention")])
        self.assertEqual(module.state, "installed")

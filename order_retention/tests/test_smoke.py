import sys
import unittest

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install", "order_retention")
class TestSmoke(TransactionCase):
    def test_module_installed(self):
        """The module is installed in the test database."""
        module = self.env["ir.module.module"].search([("name", "=", "order_retention")])
        self.assertEqual(module.state, "installed")

    def test_every_test_class_follows_the_test_clock(self):
        """Every test class of the module takes OR_TEST_NOW / OR_TEST_TZ (tests/__init__.py hooks them all)."""
        package = __name__.rsplit(".", 1)[0]
        classes = [
            value
            for name, module in list(sys.modules.items())
            if name.startswith(package + ".") and module
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, unittest.TestCase) and value.__module__ == name
        ]
        self.assertGreater(len(classes), 20)
        self.assertEqual([c.__qualname__ for c in classes if not c.__dict__.get("_retention_clock_hooked")], [])

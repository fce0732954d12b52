"""Check that the odoo-addon wheels installed into a --target folder are found by Odoo.

    PYTHONPATH=TARGET python3 scripts/check_wheel.py TARGET ADDON [ADDON ...]

Run with TARGET on sys.path (PYTHONPATH) and without this repository on Odoo's addons
path: the addons must then resolve, through the ``odoo.addons`` namespace package, to
TARGET/odoo/addons/<addon>, with a readable manifest and their data files. Prints one
line per addon and exits 1 on the first problem.
"""

import os
import sys

import odoo
from odoo.modules import module as odoo_module
from odoo.tools import config


def main(target, addons):
    target = os.path.realpath(target)
    config.parse_config([])  # default addons path: Odoo's own addons only
    odoo_module.initialize_sys_path()
    repo = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    if any(os.path.realpath(path) == repo for path in odoo.addons.__path__):
        raise SystemExit("this repository must not be on the addons path here")
    for addon in addons:
        path = odoo_module.get_module_path(addon, display_warning=False)
        expected = os.path.join(target, "odoo", "addons", addon)
        if not path or os.path.realpath(path) != expected:
            raise SystemExit(f"{addon}: found at {path!r}, expected {expected}")
        manifest = odoo_module.get_manifest(addon)
        missing = [
            name
            for name in manifest.get("data", []) + manifest.get("demo", [])
            if not os.path.isfile(os.path.join(path, name))
        ]
        if missing or not manifest.get("installable"):
            raise SystemExit(f"{addon}: not installable from its wheel: {missing}")
        print(f"wheel ok: {addon} {manifest['version']} found by Odoo at {path}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])

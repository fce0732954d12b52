"""Which addons of this repository can be installed here, and the apps they need.

Usage: python3 scripts/addons_to_install.py ROOT ODOO_ADDONS NO_BRIDGES
Prints one line "ADDONS DEPS": order_retention, then every bridge (a folder of ROOT holding __manifest__.py)
whose other dependencies are in Odoo's addons folder or installed as odoo-addon-* wheels (e.g. OCA queue_job),
comma-separated; DEPS lists the apps they depend on outside this repository. With NO_BRIDGES=1, order_retention
alone. On stderr, one line per bridge left out, naming the app it lacks. Used by scripts/run_tests.sh and
scripts/demo.sh.
"""

import ast
import importlib.util
import os
import sys


def available(odoo_addons, addon):
    """In Odoo's addons folder, or installed as an odoo-addon-* wheel (e.g. OCA queue_job)."""
    if os.path.isfile(os.path.join(odoo_addons, addon, "__manifest__.py")):
        return True
    try:
        spec = importlib.util.find_spec("odoo.addons." + addon)
    except ImportError:
        return False
    return bool(
        spec
        and spec.submodule_search_locations
        and any(os.path.isfile(os.path.join(p, "__manifest__.py")) for p in spec.submodule_search_locations)
    )


def main(root, odoo_addons, no_bridges):
    ours = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "__manifest__.py")))
    manifest = {d: ast.literal_eval(open(os.path.join(root, d, "__manifest__.py")).read()) for d in ours}
    addons, deps = ["order_retention"], list(manifest["order_retention"]["depends"])
    for addon in ours:
        if addon == "order_retention" or no_bridges == "1" or not manifest[addon].get("installable", True):
            continue
        extra = [d for d in manifest[addon]["depends"] if d not in ours]
        missing = [d for d in extra if not available(odoo_addons, d)]
        if missing:
            print(
                "%s left out: the app(s) %s it needs are not available (not in %s nor installed as an odoo-addon "
                "wheel; scripts/install_odoo.sh installs queue_job and voip_oca)"
                % (addon, ", ".join(missing), odoo_addons),
                file=sys.stderr,
            )
            continue
        addons.append(addon)
        deps += [d for d in extra if d not in deps]
    print(",".join(addons), ",".join(deps))


if __name__ == "__main__":
    main(*sys.argv[1:4])

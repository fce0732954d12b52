"""Screenshot the Retention dashboard (Dashboards app) of a running Odoo.

    python3 scripts/screenshot_dashboard.py --url http://127.0.0.1:PORT --db DB
        [--height 1500] [--name retention_dashboard] [--chrome-port 9344]

Logs in as admin/admin with headless Chromium (the helpers of scripts/screenshots.py),
opens Dashboards, picks *Retention* and writes docs/screenshots/<name>.png. The dashboard
fills the window: ``--height`` shows more of it, e.g. the workload section of
docs/screenshots/retention_dashboard_workload.png:

    python3 scripts/screenshot_dashboard.py --url http://127.0.0.1:8089 \
        --db order_retention_team --height 1900 --name retention_dashboard_workload
"""

import argparse
import base64
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from screenshots import Chrome, login  # noqa: E402

PICK = """
[...document.querySelectorAll('.o_search_panel li, .o_search_panel *')]
  .filter(e => e.children.length === 0 && e.textContent.trim() === 'Retention')
  .forEach(e => e.click());
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    here = os.path.dirname(__file__)
    shots = os.path.join(here, "..", "docs", "screenshots")
    parser.add_argument("--out", default=shots)
    parser.add_argument("--name", default="retention_dashboard", help="the file name, without .png")
    parser.add_argument("--height", type=int, default=1500, help="the window's height in pixels")
    parser.add_argument("--chrome-port", type=int, default=9344, help="Chromium's remote debugging port")
    args = parser.parse_args()
    session = login(args.url, args.db, "admin")
    chrome = Chrome(port=args.chrome_port)
    try:
        chrome.call("Network.enable")
        chrome.call("Network.setCookie", name="session_id", value=session, url=args.url)
        chrome.call(
            "Emulation.setDeviceMetricsOverride",
            width=1440,
            height=args.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        chrome.call("Page.navigate", url=args.url + "/odoo")
        time.sleep(12)  # the first load builds the assets
        chrome.call("Page.navigate", url=args.url + "/odoo/dashboards")
        time.sleep(6)
        chrome.call("Runtime.evaluate", expression=PICK)
        time.sleep(8)
        shot = chrome.call("Page.captureScreenshot", format="png")
        path = os.path.join(args.out, args.name + ".png")
        with open(path, "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        print("wrote", path)
    finally:
        chrome.close()


if __name__ == "__main__":
    main()

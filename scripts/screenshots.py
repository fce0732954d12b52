"""Take screenshots of the real screens of a running demo (make demo) with headless Chromium.

    python3 scripts/screenshots.py [--url http://localhost:8069] [--db order_retention_demo] [--out docs/screenshots]
                                   [--only NAME ...] [--lang uk_UA] [--team]

Logs in as the demo salesperson (demo/demo) for the salesperson's screens and as admin/admin for the
manager's, drives Chromium through the DevTools protocol (websocket-client), writes PNGs. Look at each
one before committing it.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

PAGES = [
    # (file name, login, url path, JavaScript run after load, seconds to wait after it)
    ("my_retention_calls", "demo", "/odoo/action-order_retention.mail_activity_action_retention_calls", None, 0),
    ("missing_orders", "admin", "/odoo/action-order_retention.res_partner_action_missing_orders", None, 0),
    ("customers_by_status", "admin", "/odoo/action-order_retention.res_partner_action_retention_status", None, 0),
    (
        "customer_retention_tab",
        "admin",
        "/odoo/action-order_retention.res_partner_action_missing_orders",
        "document.querySelector(\".o_data_row td[name='display_name']\").click()",
        3,
    ),
    # a salesperson opening a colleague's customer: its contact details, not its figures (issue #23)
    ("customer_of_a_colleague", "demo", "/odoo/contacts/{colleague_customer}", None, 0),
    ("calls", "admin", "/odoo/action-order_retention.retention_call_action", None, 0),
    ("telephony_providers", "admin", "/odoo/action-order_retention.retention_telephony_action_open", "0", 3),
    ("status_history", "admin", "/odoo/action-order_retention.retention_status_history_action", None, 0),
    ("cancellation_analysis", "admin", "/odoo/action-order_retention.retention_cancel_report_action", None, 0),
    ("cancelled_products", "admin", "/odoo/action-order_retention.retention_cancel_line_report_action", None, 0),
    (
        "settings",
        "admin",
        "/odoo/action-sale.action_sale_config_settings",
        "[...document.querySelectorAll('h2, .o_setting_container h2, .o_settings_container')].find("
        "e => e.textContent.includes('Customer Retention'))?.scrollIntoView()",
        2,
    ),
    (
        "backtest",
        "admin",
        "/odoo/action-order_retention.retention_backtest_action",
        "document.querySelector(\"button[name='action_run']\").click()",
        3,
    ),
    (
        "customers_by_status_graph",
        "admin",
        "/odoo/action-order_retention.res_partner_action_retention_status",
        'document.querySelector(".o_switch_view.o_graph").click()',
        3,
    ),
    ("why_customers_leave", "admin", "/odoo/action-order_retention.retention_churn_report_action", None, 0),
    ("churn_models", "admin", "/odoo/action-order_retention.retention_model_run_action", None, 0),
    (
        "churn_model",
        "admin",
        "/odoo/action-order_retention.retention_model_run_action",
        "document.querySelector('.o_data_row td.o_data_cell').click()",
        3,
    ),
    (
        "retention_outcome_dialog",
        "demo",
        "/odoo/action-order_retention.mail_activity_action_retention_calls",
        "document.querySelector(\".o_data_row td[name='retention_partner_id']\").click();"
        "setTimeout(() => document.querySelector('.o-mail-Activity-markDone').click(), 3000)",
        6,
    ),
    ("lost_for_good_requests", "admin", "/odoo/action-order_retention.retention_lost_request_action", None, 0),
    (
        "quotation_being_handled",
        "demo",
        "/odoo/action-sale.action_quotations_with_onboarding",
        # the first quotation still in draft (its status cell reads Quotation, in English or Ukrainian)
        "[...document.querySelectorAll('.o_data_row')].find(row => ['Quotation', 'Комерційна пропозиція']"
        ".includes(row.querySelector(\"td[name='state']\")?.textContent.trim()))"
        "?.querySelector('td.o_data_cell').click();"
        "setTimeout(() => document.querySelector(\"button[name='action_retention_claim']\")?.click(), 3000)",
        6,
    ),
    (
        "duplicate_quotations",
        "admin",
        "/odoo/action-order_retention.sale_order_retention_duplicate_action_all",
        "document.querySelector(\".modal button[name='action_preview']\").click()",
        3,
    ),
]
# The retention-call queue at team size: taken on a copy of the demo with the demo team loaded
# (retention.cycle._retention_demo_team: two more salespeople, capacity 6 each, 120 more customers); see --team.
TEAM_PAGES = [
    ("retention_waiting", "admin", "/odoo/action-order_retention.res_partner_action_retention_waiting", None, 0),
    ("retention_workload", "admin", "/odoo/action-order_retention.retention_workload_action", None, 0),
    ("my_retention_calls_full", "sofia", "/odoo/action-order_retention.mail_activity_action_retention_calls", None, 0),
]
RETENTION_TAB = (
    # by the page's name, not its label, so that it works in every language
    "document.querySelector(\".o_notebook a.nav-link[name='order_retention']\")"
    "?.click(); document.querySelector('.o_notebook').scrollIntoView()"
)


def rpc(url, session, model, method, args, kwargs=None):
    """call_kw with ``session`` (a session id); returns the result, raises on an error."""
    body = json.dumps(
        {"jsonrpc": "2.0", "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}}
    ).encode()
    request = urllib.request.Request(
        url + "/web/dataset/call_kw", body, {"Content-Type": "application/json", "Cookie": "session_id=" + session}
    )
    with urllib.request.urlopen(request) as response:
        reply = json.load(response)
    if reply.get("error"):
        raise RuntimeError(reply["error"]["data"]["message"])
    return reply["result"]


def set_language(url, db, logins, lang):
    """Install ``lang`` (admin) and give it to the users ``logins``; returns {login: previous language}."""
    admin = login(url, db, "admin")
    wizard = rpc(url, admin, "base.language.install", "create", [{"lang_ids": [[6, 0, []]]}])
    lang_ids = rpc(url, admin, "res.lang", "search", [[["code", "=", lang], ["active", "in", [True, False]]]])
    rpc(url, admin, "base.language.install", "write", [[wizard], {"lang_ids": [[6, 0, lang_ids]]}])
    rpc(url, admin, "base.language.install", "lang_install", [[wizard]])
    users = rpc(
        url, admin, "res.users", "search_read", [[["login", "in", list(logins)]]], {"fields": ["login", "lang"]}
    )
    for user in users:
        rpc(url, admin, "res.users", "write", [[user["id"]], {"lang": lang}])
    return {user["login"]: user["lang"] for user in users}


def restore_language(url, db, previous):
    admin = login(url, db, "admin")
    for user_login, lang in previous.items():
        ids = rpc(url, admin, "res.users", "search", [[["login", "=", user_login]]])
        rpc(url, admin, "res.users", "write", [ids, {"lang": lang}])


def login(url, db, user):
    body = json.dumps({"jsonrpc": "2.0", "params": {"db": db, "login": user, "password": user}}).encode()
    request = urllib.request.Request(url + "/web/session/authenticate", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        cookie = response.headers.get("Set-Cookie", "")
    return cookie.split("session_id=")[1].split(";")[0]


class Chrome:
    def __init__(self, port=9333):
        self.profile = tempfile.mkdtemp()
        self.proc = subprocess.Popen(
            [
                shutil.which("chromium"),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1440,900",
                "--remote-debugging-port=%d" % port,
                "--user-data-dir=" + self.profile,
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _i in range(50):
            try:
                pages = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json" % port))
                break
            except OSError:
                time.sleep(0.2)
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.seq = 0

    def call(self, method, **params):
        self.seq += 1
        self.ws.send(json.dumps({"id": self.seq, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.seq:
                return message.get("result", {})

    def close(self):
        self.proc.terminate()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="order_retention_demo")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "screenshots"))
    parser.add_argument("--only", nargs="*", help="file names (without .png) to take, default all")
    parser.add_argument("--devtools-port", type=int, default=9333, help="Chromium's remote debugging port")
    parser.add_argument(
        "--team",
        action="store_true",
        help="take the queue's screens (waiting list, workload, a full queue) instead: the database must hold the "
        "demo team (scripts/screenshots_team_db.sh makes such a copy of the demo)",
    )
    parser.add_argument(
        "--lang",
        help="take the screens in this language (e.g. uk_UA): installs it and gives it to the users for the run "
        "(their language is restored after); the files get the suffix _<lang>",
    )
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    pages = TEAM_PAGES if args.team else PAGES
    pages = [page for page in pages if not args.only or page[0] in args.only]
    previous = set_language(args.url, args.db, {page[1] for page in pages}, args.lang) if args.lang else {}
    suffix = "_" + args.lang.split("_")[0] if args.lang else ""
    sessions = {user: login(args.url, args.db, user) for user in {page[1] for page in pages}}
    chrome = Chrome(args.devtools_port)
    current = None
    try:
        chrome.call("Network.enable")
        for name, user, path, script, wait in pages:
            if user != current:
                chrome.call("Network.setCookie", name="session_id", value=sessions[user], url=args.url)
                chrome.call("Page.navigate", url=args.url + "/odoo")  # warm-up: the first load builds the assets
                time.sleep(8)
                current = user
            if "{colleague_customer}" in path:
                admin = sessions.get("admin") or login(args.url, args.db, "admin")
                [customer] = rpc(
                    args.url,
                    admin,
                    "res.partner",
                    "search",
                    [
                        [
                            ("user_id.login", "=", "olga"),
                            ("is_company", "=", True),
                            ("retention_customer_id", "!=", False),
                        ]
                    ],
                    {"limit": 1},
                )
                path = path.format(colleague_customer=customer)
            chrome.call("Page.navigate", url=args.url + path)
            time.sleep(4)
            if script:
                chrome.call("Runtime.evaluate", expression=script)
                time.sleep(wait)
            if name in ("customer_retention_tab", "customer_of_a_colleague"):
                chrome.call("Runtime.evaluate", expression=RETENTION_TAB)
                time.sleep(1.5)
            shot = chrome.call("Page.captureScreenshot", format="png")
            with open(os.path.join(args.out, name + suffix + ".png"), "wb") as out:
                out.write(base64.b64decode(shot["data"]))
            print("wrote", name + suffix)
    finally:
        chrome.close()
        if previous:
            restore_language(args.url, args.db, previous)


if __name__ == "__main__":
    main()

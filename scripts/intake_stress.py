"""Concurrent PBX pushes against a real, running Odoo server (not the test cursor, which serialises
requests): N threads POST the same batch of calls at the same moment. Every reply must be 200 JSON, and
over all replies each call must be created exactly once (the others count it as a duplicate).

    python3 scripts/intake_stress.py --url http://127.0.0.1:8069 --token TOKEN [--threads 8] [--rows 200]

Prints one line per reply and a summary; exits 1 when a reply is not 200 JSON or the counts do not add
up. Sends traffic to the given URL only (use a loopback address)."""

import argparse
import datetime
import json
import sys
import threading
import urllib.error
import urllib.request


def batch(rows, tag):
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    return [
        {
            "call_id": "%s-%04d" % (tag, i),
            "number": "+1 650 555 %04d" % (i % 10000),
            "direction": "outbound",
            "start": (start + datetime.timedelta(seconds=i)).isoformat(),
            "duration": 20 + i % 100,
        }
        for i in range(rows)
    ]


def push(url, token, body, results, index):
    request = urllib.request.Request(
        url + "/order_retention/calls",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer %s" % token},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            results[index] = (response.status, response.read())
    except urllib.error.HTTPError as exc:
        results[index] = (exc.code, exc.read())
    except OSError as exc:
        results[index] = (0, str(exc).encode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--tag", default="STRESS-%s" % datetime.datetime.now().strftime("%H%M%S"))
    args = parser.parse_args()
    body = json.dumps(batch(args.rows, args.tag)).encode()
    results = [None] * args.threads
    threads = [
        threading.Thread(target=push, args=(args.url, args.token, body, results, i)) for i in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = duplicate = 0
    ok = True
    for i, (status, raw) in enumerate(results):
        try:
            reply = json.loads(raw)
        except ValueError:
            reply = None
        print("push %d: HTTP %s %s" % (i, status, raw[:160].decode(errors="replace")))
        if status != 200 or not isinstance(reply, dict):
            ok = False
            continue
        created += reply["created"]
        duplicate += reply["duplicate"]
    expected = (args.rows, args.rows * (args.threads - 1))
    print(
        "intake stress: %d concurrent pushes of %d calls: created %d, duplicate %d (expected %d, %d)"
        % (args.threads, args.rows, created, duplicate, *expected)
    )
    if not ok or (created, duplicate) != expected:
        print("intake stress FAILED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

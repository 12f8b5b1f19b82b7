#!/usr/bin/env python3
"""The exporter's lag: registrations at a steady rate on a source registry with an exporter to a
destination; for each one, the time from the source's answer to the same id being readable under
the same subject on the destination. Prints the rate kept and the lag's median, p99 and maximum.
Usage: exporter_lag.py SOURCE_URL DESTINATION_URL RATE SECONDS   (standard library only)"""

import json
import sys
import threading
import time
import urllib.request

CT = "application/vnd.schemaregistry.v1+json"


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": CT})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    source, destination, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    pending = []  # (subject, id, acknowledged at)
    lags = []
    done = threading.Event()
    lock = threading.Lock()

    def watch():
        while not (done.is_set() and not pending):
            with lock:
                head = pending[0] if pending else None
            if head is None:
                time.sleep(0.001)
                continue
            subject, sid, at = head
            status, body = call("GET", f"{destination}/subjects/{subject}/versions/1")
            if status == 200 and body.get("id") == sid:
                lags.append(time.monotonic() - at)
                with lock:
                    pending.pop(0)
            else:
                time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    start = time.monotonic()
    count = int(rate * seconds)
    for i in range(count):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        subject = f"lag-{i}"
        schema = json.dumps({"type": "record", "name": f"Lag{i}", "fields": [{"name": "n", "type": "int"}]})
        status, body = call("POST", f"{source}/subjects/{subject}/versions", {"schema": schema})
        if status != 200:
            sys.exit(f"registration {i}: {status} {body}")
        with lock:
            pending.append((subject, body["id"], time.monotonic()))
    sent = time.monotonic() - start
    done.set()
    watcher.join(timeout=60)
    if pending:
        sys.exit(f"{len(pending)} registrations never reached the destination")
    lags.sort()
    pct = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))] * 1000
    print(f"{count} registrations at {count / sent:.0f}/s for {sent:.1f} s")
    print(f"lag: median {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms, max {lags[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()

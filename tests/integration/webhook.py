# SPDX-License-Identifier: Apache-2.0
"""A stand-in for the notice gateway (qifu serve --webhook), for the tests of delivery:
tests/integration/test_jobs_multi.py and the province trial (tests/province)."""
import http.server
import threading
import time


class Receiver:
    """A webhook on 127.0.0.1 counting deliveries per Idempotency-Key; each answer takes
    delay seconds."""

    def __init__(self, delay=0.0, port=0):
        self.delay = delay
        self.keys = {}
        self.times = []  # (time.monotonic(), key) of each POST, for a failing test's message
        self.lock = threading.Lock()
        rc = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(n)
                key = self.headers.get("Idempotency-Key")
                with rc.lock:
                    rc.keys[key] = rc.keys.get(key, 0) + 1
                    rc.times.append((time.monotonic(), key))
                time.sleep(rc.delay)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            # A gateway's listen backlog (nginx: 511), not socketserver's 5: a process POSTs
            # a wave of notices at once, and SYNs beyond the backlog wait a second to retry.
            request_queue_size = 128

        self.httpd = Server(("127.0.0.1", port), Handler)
        self.url = "http://127.0.0.1:%d/sms" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def count(self):
        with self.lock:
            return sum(self.keys.values())

    def distinct(self):
        with self.lock:
            return len(self.keys)

    def twice(self):
        with self.lock:
            return {k: v for k, v in self.keys.items() if v > 1}

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

"""A reverse proxy in front of the real server that can start misbehaving on demand."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class BadProxy:
    """mode: pass | html | garbage | error500 | hang | redirect (307 to `redirect_to`) |
    lose (forwards, the server commits, then the connection closes without an answer) |
    drip (forwards, then sends the answer one byte every `drip_s` seconds) |
    badutf8 (forwards, then breaks the answer's UTF-8: a stray 0xFF byte in its first key)"""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.redirect_to = ""
        self.lose_only = ""
        self.drip_s = 0.25
        """In lose mode, only answers to paths ending with this are lost."""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drip(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(proxy.drip_s)
                except OSError:  # the client gave up: that is the point
                    self.close_connection = True

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                mode = proxy.mode
                if mode == "html":
                    return self._answer(200, b"<html><body>Portal login</body></html>",
                                        "text/html")
                if mode == "garbage":
                    return self._answer(200, b'{"changes": [tru', "application/json")
                if mode == "error500":
                    return self._answer(500, b"Internal Server Error", "text/plain")
                if mode == "hang":
                    time.sleep(30)
                    return None
                if mode == "redirect":
                    self.send_response(307)
                    self.send_header("Location", proxy.redirect_to + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length")}
                upstream = requests.request(self.command, proxy.upstream + self.path,
                                            headers=headers, data=body, timeout=90)
                if mode == "lose" and self.path.endswith(proxy.lose_only):
                    self.close_connection = True
                    return None
                if mode == "drip":
                    return self._drip(upstream.status_code, upstream.content)
                if mode == "badutf8":
                    return self._answer(upstream.status_code,
                                        upstream.content.replace(b'"', b'"\xff', 1),
                                        "application/json")
                return self._answer(upstream.status_code, upstream.content,
                                    upstream.headers.get("Content-Type", "application/json"))

            do_GET = _handle  # noqa: N815 - the stdlib handler names
            do_POST = _handle  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

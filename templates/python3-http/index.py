# Entry point of the python3-http template: one long-running server on 127.0.0.1:5000 that the
# watchdog (mode=http) proxies every request to. handle(event, context) is called per request.
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import os

from function import handler


class Event:
    """What the handler gets about the request."""

    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body


class Context:
    """Where the function runs."""

    hostname = os.environ.get("HOSTNAME", "localhost")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        event = Event(self.command, path, query, dict(self.headers), body)
        result = handler.handle(event, Context())
        status, headers = 200, {}
        if isinstance(result, dict):
            status = int(result.get("statusCode", 200))
            headers = result.get("headers", {}) or {}
            result = result.get("body", "")
        if isinstance(result, (dict, list)):
            result = json.dumps(result)
            headers.setdefault("Content-Type", "application/json")
        data = result if isinstance(result, bytes) else str(result if result is not None else "").encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", 5000), Handler).serve_forever()

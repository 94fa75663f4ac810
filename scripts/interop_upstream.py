"""A fault-injecting OpenAI-compatible upstream for scripts/interop.sh (stdlib only).

It listens on 127.0.0.1 only and answers POST .../chat/completions by the
request's model name:

  fault-429[-x]  429 with `Retry-After: 1` and an OpenAI error body
  fault-NNN[-x]  HTTP NNN (400, 500, 502, 503, ...) with an OpenAI error body
  anything else  200: a chat completion whose content is the JSON of what it
                 received: {"path", "headers", "body"} (for checking what a
                 gateway in front forwards)

GET /requests returns how many chat requests it got per model, as JSON.
Usage: python3 interop_upstream.py PORTFILE   (binds 127.0.0.1:0, writes its port)
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS: dict = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        sys.stderr.write("upstream: " + (format % args) + "\n")

    def reply(self, status, payload, extra=()):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/") == "/requests":
            with LOCK:
                self.reply(200, dict(COUNTS))
        else:
            self.reply(404, {"error": {"message": f"no GET {self.path}", "type": "not_found"}})

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.reply(404, {"error": {"message": f"no POST {self.path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self.reply(400, {"error": {"message": "upstream: the body is not JSON", "type": "invalid_request_error"}})
            return
        model = str(body.get("model", ""))
        with LOCK:
            COUNTS[model] = COUNTS.get(model, 0) + 1
        if model.startswith("fault-"):
            status = int(model.split("-")[1])
            extra = [("retry-after", "1")] if status == 429 else []
            kind = "rate_limit_error" if status == 429 else "server_error"
            self.reply(status, {"error": {"message": f"upstream fault {status}", "type": kind}}, extra)
            return
        seen = {
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }
        self.reply(200, {
            "id": "chatcmpl-echo",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps(seen)},
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # Written whole, then renamed: a reader never sees half a port.
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()

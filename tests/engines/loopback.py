"""A static HTTP server on 127.0.0.1 for the engine tests: worker processes cannot see memory://."""

from __future__ import annotations

import contextlib
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class _Handler(http.server.BaseHTTPRequestHandler):
    root = Path()
    ranges = True

    def log_message(self, *_args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        path = (self.root / self.path.lstrip("/")).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start, stop, status = 0, len(data), 200
        asked = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if self.ranges and asked:
            start = int(asked[1])
            stop = min(int(asked[2]) + 1 if asked[2] else len(data), len(data))
            status = 206
        self.send_response(status)
        if self.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{len(data)}")
        self.send_header("Content-Length", str(stop - start))
        self.end_headers()
        if body:
            self.wfile.write(data[start:stop])


@contextlib.contextmanager
def serve(root: Path, *, ranges: bool = True) -> Iterator[str]:
    """Serve the files below ``root`` at the URL this yields (no trailing slash)."""
    handler = type("Handler", (_Handler,), {"root": root.resolve(), "ranges": ranges})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()

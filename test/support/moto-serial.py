"""moto_server for the tests, with every request applied one at a time.

DynamoDB applies each request atomically. moto_server's threads interleave inside one request, so
two conditional writes arriving together can both succeed, and a test of "exactly one of two racing
writers wins" passes or fails by chance. This server keeps moto's threaded I/O (keep-alive
connections from many clients) but runs the request handling under one lock, as DynamoDB would.

Usage: python3 moto-serial.py HOST PORT
"""
import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serial(environ, start_response):
        with lock:
            # The body is read in full inside the lock: moto builds responses eagerly anyway.
            return list(app(environ, start_response))

    run_simple(host, port, serial, threaded=True)


if __name__ == "__main__":
    main()

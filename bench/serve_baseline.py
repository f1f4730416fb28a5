"""Serve the bare baseline with `healthrecords serve`'s own server code and flags.

python -m bench.serve_baseline PORT WORKERS
"""

from __future__ import annotations

import sys

from healthrecords.entrypoints.server import serve

if __name__ == "__main__":
    serve("127.0.0.1", int(sys.argv[1]), int(sys.argv[2]), app="bench.baseline:app_factory")

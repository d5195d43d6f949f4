"""A stand-in for ``python -m harness.capture.ingest`` in the addon and feed tests.

    python tests/support/fake_ingest.py [--sleep S] [--die-after N] [--no-ack] --ack-fd FD

Reads the proxy's frames from stdin (4-byte length + payload), acknowledges each as stored
on FD (``"<handled> <stored> 0 0\\n"``), optionally sleeps before reading, or exits with
status 3 after N frames without acknowledging them (a crash). Exits 0 at EOF.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sleep", type=float, default=0.0)
    p.add_argument("--die-after", type=int, default=-1)
    p.add_argument("--no-ack", action="store_true")
    p.add_argument("--ack-fd", type=int, required=True)
    args, _ = p.parse_known_args()
    time.sleep(args.sleep)
    stdin = sys.stdin.buffer
    n = 0
    while True:
        head = stdin.read(4)
        if len(head) < 4:
            return 0
        (size,) = struct.unpack(">I", head)
        if len(stdin.read(size)) < size:
            return 0
        n += 1
        if n == args.die_after:
            os._exit(3)
        if not args.no_ack:
            os.write(args.ack_fd, f"{n} {n} 0 0\n".encode())


if __name__ == "__main__":
    sys.exit(main())

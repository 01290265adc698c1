#!/usr/bin/env python3
"""Resident memory of surged under a flood of distinct client addresses (issue 12).

Starts surged (the command gets $PORT and $CONFIG) on a configuration that trusts 127.0.0.1 as a
proxy and limits every request per client address (`rate_limits.per_ip`, key `client_address`,
`max_keys` from --max-keys), then sends --requests GETs over keep-alive connections, each with an
X-Forwarded-For naming a client address no other request used (10.0.0.0/8, then 11.0.0.0/8 ...).
surged's VmRSS and VmHWM (/proc/<pid>/status) are read before the flood, every --every requests
during it, at its end and after --settle seconds:

    bench/xff_flood.py --requests 1000000 --max-keys 65536 -- \\
        build/helper-bench/surged --config '$CONFIG' --listen 127.0.0.1:'$PORT' --threads 1

Each worker keeps its own key table for the limit: max_keys entries of 40 bytes and a bucket array
of 4 bytes x max_keys rounded up to a power of two. Resident memory may grow by at most that
much per worker while the table fills (measured: the whole table is resident from start-up, so
it is in the "before" reading already; compare runs with --max-keys 1); beyond it, it must stay
flat while the table recycles its least recently used entries.
"""
import argparse
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_kib(pid):
    """(VmRSS, VmHWM) of the process in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def wait_listening(port, deadline):
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def client_address(i):
    """The i-th distinct IPv4 client address (10.0.0.0 onwards, 16.7 million per /8)."""
    return f"{10 + (i >> 24)}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


class Responses:
    """Counts complete HTTP/1.1 responses in a byte stream (status line, fields, Content-Length body)."""

    def __init__(self):
        self.buffer = b""
        self.status = {}

    def feed(self, data):
        self.buffer += data
        count = 0
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return count
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return count
            code = int(head[9:12])
            self.status[code] = self.status.get(code, 0) + 1
            self.buffer = self.buffer[end + 4 + length:]
            count += 1


def flood(port, path, first, step, total, batch, done, result_queue):
    """One connection: requests first, first + step, ... below total, `batch` pipelined at a time."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    responses = Responses()
    mine = list(range(first, total, step))
    for start in range(0, len(mine), batch):
        chunk = mine[start:start + batch]
        sock.sendall(b"".join(
            f"GET {path} HTTP/1.1\r\nHost: bench\r\nX-Forwarded-For: {client_address(i)}\r\n\r\n".encode()
            for i in chunk))
        waiting = len(chunk)
        while waiting > 0:
            data = sock.recv(1 << 16)
            if not data:
                raise RuntimeError("surged closed a connection")
            waiting -= responses.feed(data)
        with done.get_lock():
            done.value += len(chunk)
    sock.close()
    result_queue.put(responses.status)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000, help="requests, each from a new client address")
    parser.add_argument("--max-keys", type=int, default=65536, help="rate_limits.per_ip.max_keys")
    parser.add_argument("--conns", type=int, default=4, help="keep-alive connections (one client process each)")
    parser.add_argument("--batch", type=int, default=32, help="requests pipelined per write (at most 64)")
    parser.add_argument("--every", type=int, default=100_000, help="read the memory every this many requests")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before the reading after the flood")
    parser.add_argument("--path", default="/plaintext")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no server command")

    config = {
        "trusted_proxies": ["127.0.0.1"],
        # The default 10/s, burst 10: a client seen once is never refused.
        "rate_limits": {"per_ip": {"rate": 10, "per": "second", "burst": 10, "max_keys": args.max_keys}},
        "middleware": {"rate_limit": ["per_ip"]},
        # One connection carries all its requests (the default retires it after 10,000).
        "limits": {"max_requests_per_connection": 0},
        "metrics": {"listen": "127.0.0.1:0"},
        "log": {"level": "warn"},
    }
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
        config_path = f.name
    env = dict(os.environ, PORT=str(port), CONFIG=config_path)
    server = subprocess.Popen(["sh", "-c", "exec " + " ".join(command)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_listening(port, time.monotonic() + 10):
            sys.exit("surged did not listen")
        warm = socket.create_connection(("127.0.0.1", port))
        for _ in range(100):  # from the proxy itself, no X-Forwarded-For: one key
            warm.sendall(f"GET {args.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
            r = Responses()
            while r.feed(warm.recv(4096)) == 0:
                pass
        warm.close()
        time.sleep(1)
        before = memory_kib(server.pid)

        done = multiprocessing.Value("q", 0)
        results = multiprocessing.Queue()
        clients = [multiprocessing.Process(target=flood, args=(port, args.path, c, args.conns, args.requests,
                                                                 args.batch, done, results))
                   for c in range(args.conns)]
        samples = []  # (requests done, seconds, rss, hwm)
        stop = threading.Event()

        def sample():
            next_mark = args.every
            while not stop.is_set():
                n = done.value
                if n >= next_mark:
                    samples.append((n, time.monotonic() - started, *memory_kib(server.pid)))
                    next_mark = (n // args.every + 1) * args.every
                time.sleep(0.02)

        started = time.monotonic()
        sampler = threading.Thread(target=sample)
        sampler.start()
        for c in clients:
            c.start()
        status = {}
        for _ in clients:
            for code, n in results.get().items():
                status[code] = status.get(code, 0) + n
        for c in clients:
            c.join()
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
        end = memory_kib(server.pid)
        time.sleep(args.settle)
        after = memory_kib(server.pid)

        print(f"requests {done.value} from {args.requests} distinct client addresses over {args.conns} "
              f"connections in {elapsed:.1f} s ({done.value / elapsed:,.0f} req/s); statuses {status}")
        buckets = 1 << (args.max_keys - 1).bit_length()
        print(f"max_keys {args.max_keys}: key table {(args.max_keys * 40 + buckets * 4) / 1024:,.0f} KiB per worker "
              f"(entries {args.max_keys * 40 / 1024:,.0f} KiB, buckets {buckets * 4 / 1024:,.0f} KiB)")
        print(f"{'requests':>10} {'s':>6} {'VmRSS KiB':>10} {'VmHWM KiB':>10} {'RSS - before':>12}")
        print(f"{'before':>10} {'':>6} {before[0]:>10} {before[1]:>10} {0:>12}")
        for n, t, rss, hwm in samples:
            print(f"{n:>10} {t:>6.1f} {rss:>10} {hwm:>10} {rss - before[0]:>12}")
        print(f"{'end':>10} {elapsed:>6.1f} {end[0]:>10} {end[1]:>10} {end[0] - before[0]:>12}")
        print(f"{'+settle':>10} {'':>6} {after[0]:>10} {after[1]:>10} {after[0] - before[0]:>12}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        os.unlink(config_path)


if __name__ == "__main__":
    main()

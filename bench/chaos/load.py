#!/usr/bin/env python3
"""Steady-rate keep-alive HTTP/1.1 load for the chaos run (bench/chaos/run).

    load.py --target 127.0.0.1:8080 --connections 16 --rate 400 --duration 85 --post-share 0.25 --out FILE

Each connection sends on its own fixed schedule (rate / connections per second, staggered); a
connection that fell behind (a slow answer) sends its late requests at once, one at a time. One
JSON line per request goes to --out:

    {"t0": sched, "ts": sent, "te": done, "m": "GET", "st": 200, "h": "A", "err": "", "body": ""}

t* are time.monotonic() seconds (CLOCK_MONOTONIC, the same clock in every process on the
machine). st is 0 when no response came (err says why); body is kept for non-2xx answers.
Python 3 stdlib only.
"""
import argparse
import asyncio
import json
import random
import time


class Conn:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            line = await reader.readline()
            n = int(line.split(b";")[0].strip() or b"0", 16)
            if n == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            body += (await reader.readexactly(n + 2))[:-2]
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return status, headers, body


async def worker(i, args, host, port, t_start, t_end, out, rng):
    conn = Conn(host, port)
    interval = args.connections / args.rate
    k = 0
    while True:
        sched = t_start + (i / args.connections) * interval + k * interval
        k += 1
        if sched >= t_end:
            break
        now = time.monotonic()
        if sched > now:
            await asyncio.sleep(sched - now)
        post = rng.random() < args.post_share
        n = rng.randrange(1_000_000)
        if post:
            body = ('{"order":%d,"conn":%d}' % (n, i)).encode()
            req = ("POST /orders HTTP/1.1\r\nHost: chaos\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" % len(body)).encode() + body
        else:
            req = ("GET /items/%d HTTP/1.1\r\nHost: chaos\r\n\r\n" % n).encode()
        rec = {"c": i, "t0": sched, "m": "POST" if post else "GET", "st": 0, "h": "", "err": "", "body": ""}
        ts = time.monotonic()
        rec["ts"] = ts
        try:
            if conn.writer is None:
                await asyncio.wait_for(conn.open(), args.timeout)
            conn.writer.write(req)
            status, headers, rbody = await asyncio.wait_for(read_response(conn.reader), args.timeout)
            rec["st"] = status
            rec["h"] = headers.get("x-host", "")
            if not 200 <= status < 300:
                rec["body"] = rbody[:300].decode("latin-1")
            if headers.get("connection", "").lower() == "close":
                conn.close()
        except asyncio.TimeoutError:
            rec["err"] = "timeout after %.0f s" % args.timeout
            conn.close()
        except (asyncio.IncompleteReadError, ConnectionError, OSError, ValueError, IndexError) as e:
            rec["err"] = "%s: %s" % (type(e).__name__, e)
            conn.close()
        rec["te"] = time.monotonic()
        out.write(json.dumps(rec, separators=(",", ":")) + "\n")
    conn.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rate", type=float, default=400.0)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--post-share", type=float, default=0.25)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--start-at", type=float, default=0.0, help="time.monotonic() to start at (0: now)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    host, port = args.target.rsplit(":", 1)
    t_start = args.start_at or time.monotonic()
    t_end = t_start + args.duration
    rng = random.Random(args.seed)
    with open(args.out, "w") as out:
        await asyncio.gather(*(worker(i, args, host, int(port), t_start, t_end, out, random.Random(rng.random()))
                               for i in range(args.connections)))


if __name__ == "__main__":
    asyncio.run(main())

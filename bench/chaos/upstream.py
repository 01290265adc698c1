#!/usr/bin/env python3
"""A small HTTP/1.1 keep-alive upstream for the chaos run (bench/chaos/run).

    upstream.py --name A --port 9001 --control /tmp/x/A.mode [--work-ms 20]

Every answer takes --work-ms (the host's own work; /healthz answers at once), and every response carries `X-Host: <name>`. Its behaviour is read from the control file (re-read
when its mtime changes; missing or empty means normal):

    normal     200 to everything (GET /healthz included)
    5xx        503 to everything, /healthz included, at once (the connection stays open)
    slow MS    answers everything, /healthz included, after MS milliseconds instead of --work-ms

A request body (Content-Length or chunked) is read and its length echoed. Python 3 stdlib only.
"""
import argparse
import asyncio
import os
import signal
import sys


class Mode:
    def __init__(self, path):
        self.path = path
        self.mtime = None
        self.kind = "normal"
        self.delay = 0.0

    def current(self):
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime != self.mtime:
            self.mtime = mtime
            text = ""
            if mtime is not None:
                try:
                    with open(self.path) as f:
                        text = f.read().strip()
                except OSError:
                    text = ""
            words = text.split()
            self.kind, self.delay = "normal", 0.0
            if words and words[0] == "5xx":
                self.kind = "5xx"
            elif words and words[0] == "slow":
                self.kind = "slow"
                self.delay = (float(words[1]) if len(words) > 1 else 300.0) / 1000.0
        return self


async def read_body(reader, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        size = 0
        while True:
            line = await reader.readline()
            n = int(line.split(b";")[0].strip() or b"0", 16)
            if n == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return size
            await reader.readexactly(n + 2)
            size += n
    length = int(headers.get("content-length", "0") or "0")
    if length:
        await reader.readexactly(length)
    return length


async def serve(reader, writer, name, mode, work):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            size = await read_body(reader, headers)
            m = mode.current()
            if m.kind == "slow":
                await asyncio.sleep(m.delay)
            elif m.kind == "normal" and work > 0 and target != "/healthz":
                await asyncio.sleep(work)
            m = mode.current()  # the mode may have changed while sleeping
            if m.kind == "5xx":
                status, body = "503 Service Unavailable", b"burst\n"
            else:
                status, body = "200 OK", ("%s %s %s %d\n" % (name, method, target, size)).encode()
            close = headers.get("connection", "").lower() == "close"
            out = ("HTTP/1.1 %s\r\nX-Host: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n"
                   % (status, name, len(body), "Connection: close\r\n" if close else "")).encode() + body
            writer.write(out)
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--work-ms", type=float, default=0.0)
    a = ap.parse_args()
    mode = Mode(a.control)
    server = await asyncio.start_server(lambda r, w: serve(r, w, a.name, mode, a.work_ms / 1000.0), "127.0.0.1", a.port,
                                        reuse_address=True, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    print("upstream %s listening on 127.0.0.1:%d" % (a.name, a.port), file=sys.stderr, flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())

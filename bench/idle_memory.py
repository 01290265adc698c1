#!/usr/bin/env python3
"""Resident memory per idle keep-alive connection.

Starts a server (the command gets $PORT), opens N connections, sends one GET on each and reads
the answer, waits until the server has settled (e.g. parked its idle connections), and reports
the resident memory (VmRSS of the server and its child processes) before and after:

    bench/idle_memory.py --conns 10000 -- build/release/surged --config config/surge.json \\
        --listen 127.0.0.1:'$PORT' --threads 1
    bench/idle_memory.py --conns 10000 -- ../shared/bench/peers run nginx

The connections stay open until the second reading, so the difference is what the server keeps
per idle connection (socket buffers are kernel memory and are not in it, for every server alike).
"""
import argparse
import os
import resource
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid):
    """pid and its descendants (nginx serves from a worker child of its master)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def rss_kib(pid):
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def wait_listening(port, deadline):
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def request(sock, path):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("server closed a connection")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += sock.recv(4096)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conns", type=int, default=10000)
    parser.add_argument("--path", default="/plaintext")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before the second reading")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no server command")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.conns + 100:
        sys.exit(f"RLIMIT_NOFILE hard limit {hard} is below {args.conns} connections")

    port = free_port()
    env = dict(os.environ, PORT=str(port))
    server = subprocess.Popen(["sh", "-c", "exec " + " ".join(command)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_listening(port, time.monotonic() + 10):
            sys.exit("server did not listen")
        warm = socket.create_connection(("127.0.0.1", port))
        for _ in range(100):
            request(warm, args.path)
        warm.close()
        time.sleep(args.settle)
        before = rss_kib(server.pid)
        conns = []
        for _ in range(args.conns):
            s = socket.create_connection(("127.0.0.1", port))
            request(s, args.path)
            conns.append(s)
        time.sleep(args.settle)
        after = rss_kib(server.pid)
        alive = 0
        for s in conns:  # every connection still open and served
            request(s, args.path)
            alive += 1
        print(f"connections {args.conns}  rss before {before} KiB  after {after} KiB  "
              f"per idle connection {(after - before) * 1024 / args.conns:.0f} bytes  "
              f"({alive} answered again afterwards)")
        for s in conns:
            s.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Latency of kept-alive HTTPS connections at a fixed, low rate.

Opens CONNECTIONS TLS connections (handshakes done before the clock
starts), then for DURATION seconds sends one GET every INTERVAL_MS
milliseconds, turn by turn over the connections, waits for each whole
response and records its latency. Being a fixed-rate probe, not a load,
its latencies show how long the server left an established connection
waiting (a stall), not how deep a queue a saturating load built.

usage: tls-probe.py HOST PORT PATH CAFILE [CONNECTIONS] [DURATION] [INTERVAL_MS]
prints: "probe N requests p50 P50us p99 P99us max MAXus"
"""
import socket
import ssl
import sys
import time


def main():
    host, port, path, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    conns = int(sys.argv[5]) if len(sys.argv) > 5 else 4
    duration = float(sys.argv[6]) if len(sys.argv) > 6 else 10.0
    interval = (float(sys.argv[7]) if len(sys.argv) > 7 else 2.0) / 1000
    ctx = ssl.create_default_context(cafile=cafile)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    socks = []
    for _ in range(conns):
        raw = socket.create_connection((host, port))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(ctx.wrap_socket(raw, server_hostname=host))
    lat = []
    end = time.monotonic() + duration
    next_at = time.monotonic()
    i = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        s = socks[i % conns]
        i += 1
        t0 = time.perf_counter()
        s.sendall(request)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("probe: connection closed")
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("probe: connection closed")
            body += chunk
        lat.append(time.perf_counter() - t0)
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1e6
    print(f"probe {len(lat)} requests p50 {pick(0.5):.0f}us p99 {pick(0.99):.0f}us max {lat[-1] * 1e6:.0f}us")


main()

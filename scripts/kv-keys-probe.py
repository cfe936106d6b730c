#!/usr/bin/env python3
"""How long a cheap command waits while another client walks the keyspace.

Loads 1,000,000 keys into a Redis-protocol server on 127.0.0.1:PORT, then
for 10 seconds runs `KEYS *` back to back on one connection while another
sends `GET` every 2 ms, and prints the GET latency (p50, p99, max). In
switchyard kv, KEYS locks one shard (1/80 of the keys) at a time and the
GET runs on the I/O thread; in Redis, KEYS holds the whole server.

usage: scripts/kv-keys-probe.py PORT   (a server you started; it is not stopped)
"""
import socket, time, subprocess, sys, threading
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); return s
# load 1M keys
s = conn()
batch = []
for i in range(1_000_000):
    k = b"key:%012d" % i
    batch.append(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$16\r\nvvvvvvvvvvvvvvvv\r\n" % k)
    if len(batch) == 10000:
        s.sendall(b"".join(batch)); need = len(batch) * 5; got = b""
        while len(got) < need: got += s.recv(1 << 20)
        batch = []
stop = False
def keys_loop():
    c = conn(); n = 0
    while not stop:
        c.sendall(b"*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n")
        # read until the array of 1M bulks is complete: count "\r\n" roughly
        buf = b""; 
        while True:
            chunk = c.recv(1 << 22); buf += chunk
            if buf.count(b"\r\n") >= 1 + 2 * 1_000_000: break
        n += 1
    print("KEYS runs", n)
t = threading.Thread(target=keys_loop); t.start()
g = conn(); worst = 0; lat = []
end = time.time() + 10
while time.time() < end:
    t0 = time.perf_counter(); g.sendall(b"*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000007\r\n"); r = b""
    while not r.endswith(b"vvvv\r\n"): r += g.recv(100)
    d = time.perf_counter() - t0; lat.append(d); time.sleep(0.002)
stop = True; t.join()
lat.sort()
print("GETs %d  p50 %.3f ms  p99 %.3f ms  max %.3f ms" % (len(lat), lat[len(lat)//2]*1e3, lat[int(len(lat)*.99)]*1e3, lat[-1]*1e3))

#!/usr/bin/env python3
"""The HTTP front door of `apex serve` under load and under attack, for bench/reliability.md.

  python3 bench/front_door_run.py build/apex [OTHER_APEX ...] [--seconds 10]

For each binary, on the committed data/:
1. cached best-lap with wrk (Debian's wrk 4.1), 64 and 2,000 connections: requests/s, p50, p99;
   resident memory after (the log goes to a file, as a platform's collector would take it);
2. 200 clients trickling one header byte a second beside one normal client asking /health in a
   loop: how many normal answers, and their median and worst wait;
3. a header flood: 4 connections sending 8 KB header lines for 3 s: the answers, the bytes the
   server took, resident memory before and after;
4. a request hidden in a GET's body, and behind two Content-Lengths: whether it is answered.
Prints one markdown row per binary and measure.
"""
import argparse
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

DATA_TARGET = "/api/analytics/track/barber-motorsports-park/session/R1/best-lap"
HIDDEN = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"


def start(apex, source):
    log = tempfile.NamedTemporaryFile(prefix="apex-front-door-", suffix=".log", delete=False)
    proc = subprocess.Popen([apex, "serve", "--port", "0", "--data-dir", os.path.join(source, "data")],
                            cwd=source, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(200):
        time.sleep(0.05)
        m = re.search(r"serving .* on http://[^:]+:(\d+)", open(log.name).read())
        if m:
            return proc, int(m.group(1)), log.name
        if proc.poll() is not None:
            break
    raise RuntimeError("apex serve did not start: " + open(log.name).read()[-500:])


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def request(port, raw, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(raw)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def wrk(port, connections, seconds):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          f"http://127.0.0.1:{port}{DATA_TARGET}"], capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (f"{float(rps.group(1)):,.0f} req/s, p50 {p50.group(1)}, p99 {p99.group(1)}"
            + (f", socket errors: {errors.group(1)}" if errors else "")
            + (f", non-2xx: {non2xx.group(1)}" if non2xx else "")) if rps else out[-300:]


def slow_clients(port, seconds=8):
    slow = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        slow.append(s)
    stop = time.time() + seconds
    waits, answered, asked = [], 0, 0
    next_trickle = time.time()
    while time.time() < stop:
        if time.time() >= next_trickle:
            for s in slow:
                try:
                    s.sendall(b"a")
                except OSError:
                    pass
            next_trickle += 1
        t0 = time.time()
        asked += 1
        answer = request(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=30)
        waits.append((time.time() - t0) * 1000)
        answered += answer.startswith(b"HTTP/1.1 200")
    still_open = sum(1 for s in slow if not select.select([s], [], [], 0)[0])
    for s in slow:
        s.close()
    return (f"{answered} of {asked} normal requests answered in {seconds} s, median {statistics.median(waits):.2f} ms,"
            f" worst {max(waits):.0f} ms; {still_open} of 200 slow sockets still open")


def header_flood(port, pid):
    before = rss_kb(pid)
    line = b"X-Flood: " + b"f" * 8192 + b"\r\n"
    results = [None] * 4

    def flood(i):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        sent, stop = 0, time.time() + 3
        try:
            while time.time() < stop:
                s.sendall(line)
                sent += len(line)
                if select.select([s], [], [], 0)[0]:
                    break
            s.settimeout(3)
            answer = s.recv(200)
        except OSError:
            answer = b""
        s.close()
        results[i] = (sent, answer.split(b"\r\n")[0].decode(errors="replace"))

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.5)
    after = rss_kb(pid)
    sent = sum(r[0] for r in results) / 1e6
    statuses = sorted(set(r[1] or "(closed, no answer)" for r in results))
    return f"answers: {', '.join(statuses)}; {sent:.1f} MB sent; resident {before // 1024} MB -> {after // 1024} MB"


def smuggling(port):
    get_body = (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(HIDDEN)).encode() + b"\r\n\r\n" + HIDDEN)
    two_lengths = (b"POST /api/analytics/tracks HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: "
                   + str(len(HIDDEN)).encode() + b"\r\n\r\n" + HIDDEN)
    verdicts = []
    for name, raw in (("GET with a body", get_body), ("two Content-Lengths", two_lengths)):
        answer = request(port, raw, timeout=2)
        verdicts.append(f"{name}: {'hidden request ANSWERED' if b'healthy' in answer else 'hidden request not answered'}")
    return "; ".join(verdicts)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("apex", nargs="+")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print("| binary | measure | result |\n|---|---|---|")
    for apex in args.apex:
        proc, port, log = start(os.path.abspath(apex), source)
        try:
            request(port, f"GET {DATA_TARGET} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            rows = [("idle resident memory", f"{rss_kb(proc.pid) // 1024} MB")]
            for c in (64, 2000):
                rows.append((f"cached best-lap, wrk {c} connections", wrk(port, c, args.seconds)))
            rows.append(("resident memory after wrk", f"{rss_kb(proc.pid) // 1024} MB (peak {rss_kb(proc.pid, 'VmHWM') // 1024} MB)"))
            rows.append(("200 slow clients beside a normal one", slow_clients(port)))
            rows.append(("header flood, 4 x 8 KB lines for 3 s", header_flood(port, proc.pid)))
            rows.append(("request smuggling", smuggling(port)))
            for measure, result in rows:
                print(f"| {apex} | {measure} | {result} |", flush=True)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            os.unlink(log)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Load, concurrency and memory figures of `apex serve` for bench/reliability.md.

  python3 bench/load_run.py build/apex [--seconds 30] [--copies 16] [--cache-mb 8]
                            [--only cached,burst,bad-input,memory,arenas]

1. Cached endpoints: `wrk -t2 -c64 -d<seconds>s --latency` on a few representative routes
   (a leaderboard, a lap list, a driver's performance, a telemetry lap trace) after one
   warm-up request each; reports requests/s, latency, non-2xx answers and socket errors.
2. Cold burst: a fresh server, then 64 requests at once for the same cold session (and,
   on another fresh server, for one cold telemetry trace); every answer must be 200 and
   identical, and /health's load counters must say one load.
3. Memory bound: a data tree of `--copies` copies of data/ (hard links, each under its own
   track name), far more parsed data than CACHE_MAX_MB; every session's /laps and every
   telemetry car's trace requested twice over; peak RSS (VmHWM) with CACHE_MAX_MB set
   small, and with it large, to show that eviction keeps memory bounded; and small again
   with MALLOC_ARENA_MAX=16 (glibc's own default on two cores, which `apex serve` lowers to
   two arenas unless the variable is set), to show what that setting holds back.
(And bad input: hostile request lines, oversized headers and bodies, a slow client; and
arenas: wrk on one warm route with two malloc arenas and with sixteen.)
Prints markdown rows; the server's own figures come from /health. --only runs some parts.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DATA = os.path.join(ROOT, "data")
SESSION = "/api/analytics/track/{track}/session/{session}"
TELEMETRY = "/api/telemetry/track/{track}/session/{session}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=120):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:  # a connection error is an error seen
        return 0, str(e).encode()


class Server:
    def __init__(self, apex, data_dir, work, cache_mb=None, extra_env=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "S3_", "USE_S3", "API_TOKEN", "MALLOC_ARENA_MAX"))}
        env["DATA_DIR"] = data_dir
        env.update(extra_env or {})
        if cache_mb is not None:
            env["CACHE_MAX_MB"] = str(cache_mb)
        self.port = free_port()
        self.log = open(os.path.join(work, f"serve-{self.port}.log"), "w")
        self.proc = subprocess.Popen([apex, "serve", "--port", str(self.port)], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit(f"apex serve did not start, see {self.log.name}")

    def peak_rss_mb(self, field="VmHWM"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0

    def health(self):
        return json.loads(get(self.port, "/health")[1])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def first_trace(port, track, session):
    """The trace route of the first car with telemetry and a timing entry, on its best lap."""
    base = TELEMETRY.format(track=track, session=session)
    status, body = get(port, base + "/vehicles")
    if status != 200:
        return None
    for v in json.loads(body)["vehicles"]:
        if v["driver_id"] is not None and v["best_lap"] is not None:
            car = urllib.parse.quote(v["vehicle_id"], safe="")
            return f"{base}/driver/{car}/lap/{v['best_lap']}/trace"
    return None


def wrk(port, path, seconds):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(rps.group(1)) if rps else 0, "requests": int(total.group(1)) if total else 0,
            "p50": lat.get("50", "?"), "p99": lat.get("99", "?"), "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sock.group(1).strip() if sock else "none", "raw": out}


def burst(port, path, n=64):
    results = [None] * n
    start = threading.Barrier(n)

    def one(i):
        start.wait()
        results[i] = get(port, path)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    identical = len({body for _, body in results}) == 1
    return statuses, identical, elapsed


def raw(port, data, read_timeout=15):
    """Sends bytes as given on a fresh connection; returns the status line (or what happened)
    and the seconds until the server answered or closed."""
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        try:
            s.sendall(data)
            answer = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except OSError as e:
            return f"connection error: {e.__class__.__name__}", time.time() - t0
    head = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "closed without an answer"
    body = answer.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in answer else b""
    try:
        detail = json.loads(body).get("detail", "")
    except ValueError:
        detail = ""
    return f"{head}" + (f": {detail[:90]}" if detail else ""), time.time() - t0


BAD_INPUTS = [
    ("path traversal, encoded slash", b"GET /api/analytics/track/..%2F..%2Fetc/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("path traversal, raw ..", b"GET /api/analytics/track/../session/R1/laps HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("NUL byte in a name", b"GET /api/analytics/track/barber%00x/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("129-byte track name", b"GET /api/analytics/track/" + b"a" * 129 + b"/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("unknown query parameter", b"GET /api/analytics/tracks?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("9 KiB header line", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9216 + b"\r\nConnection: close\r\n\r\n"),
    ("100 KiB POST body", b"POST /api/strategy/track/barber-motorsports-park/session/R1/driver/13/pit-strategy HTTP/1.1\r\n"
     b"Host: x\r\nContent-Type: application/json\r\nContent-Length: 102400\r\nConnection: close\r\n\r\n" + b"{" * 102400),
    ("malformed request line", b"GARBAGE\r\n\r\n"),
]


def bad_input(server):
    print("| case | sent | APEX answered | time | /health after |")
    print("|---|---|---|---|---|")
    for name, data in BAD_INPUTS:
        answer, elapsed = raw(server.port, data)
        shown = data[:60].decode(errors="replace").replace("\r\n", "\\r\\n").replace("|", "\\|")
        after = get(server.port, "/health")[0]
        print(f"| {name} | `{shown}{'...' if len(data) > 60 else ''}` ({len(data)} bytes) | {answer} "
              f"| {elapsed:.2f} s | {after} |", flush=True)
    # A client trickling its headers a byte every 0.5 s (each read is on time; only the
    # whole-request deadline stops it), while another client asks for /health.
    t0 = time.time()
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.setblocking(False)
        s.sendall(b"GET /health HTTP/1.1\r\n")  # the request line at once, then the headers
        request = b"Host: x\r\nX-Trickle: " + b"a" * 200 + b"\r\n\r\n"
        others = []
        while sent < len(request):
            try:
                answer = s.recv(65536)
                break  # answered or closed before the request was complete
            except BlockingIOError:
                pass
            try:
                s.send(request[sent:sent + 1])
            except OSError:
                break
            sent += 1
            if sent % 4 == 0:
                others.append(get(server.port, "/health", timeout=5)[0])
            time.sleep(0.5)
        if not answer:
            s.setblocking(True)
            try:
                answer = s.recv(65536)
            except OSError:
                pass
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
    print(f"| slow client (slowloris) | request line, then one header byte every 0.5 s ({len(request)} bytes of "
          f"headers, {len(request) / 2:.0f} s to send) | {status}, connection closed after {sent} header bytes "
          f"| {time.time() - t0:.1f} s "
          f"| meanwhile /health: {others.count(200)} x 200 of {len(others)} |", flush=True)


def make_tree(work, copies):
    tree = os.path.join(work, "tree")
    for i in range(copies):
        for track in os.listdir(DATA):
            src = os.path.join(DATA, track)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(tree, f"{track}-{i:02d}"), copy_function=os.link)
    return tree


def sweep(server, rounds=2):
    """Every session's /laps and every telemetry car's first-lap trace, `rounds` times."""
    errors, requests = 0, 0
    tracks = json.loads(get(server.port, "/api/analytics/tracks")[1])
    targets = []
    for track in tracks:
        status, body = get(server.port, f"/api/analytics/track/{track}/sessions")
        sessions = json.loads(body) if status == 200 else []
        for s in sessions:
            sid = s if isinstance(s, str) else s.get("session_id", s.get("id"))
            targets.append(SESSION.format(track=track, session=sid) + "/laps")
            trace = first_trace(server.port, track, sid)
            requests += 2
            if trace:
                targets.append(trace)
    for _ in range(rounds):
        for t in targets:
            status, _ = get(server.port, t)
            requests += 1
            errors += status != 200
    return requests, errors, len(targets)


def cached_part(apex, work, args):
    print("## Cached endpoints: wrk -t2 -c64 -d%ds --latency\n" % args.seconds)
    print("| route | requests | req/s | p50 | p99 | non-2xx | socket errors |")
    print("|---|---|---|---|---|---|---|")
    server = Server(apex, DATA, work)
    for r in [SESSION.format(track="barber-motorsports-park", session="R1") + "/best-lap",
              SESSION.format(track="sonoma-raceway", session="R1") + "/laps",
              SESSION.format(track="barber-motorsports-park", session="R1") + "/driver/13/performance",
              first_trace(server.port, "sonoma-raceway", "R1")]:
        status, _ = get(server.port, r)
        assert status == 200, (r, status)
        w = wrk(server.port, r, args.seconds)
        print(f"| `{r}` | {w['requests']} | {w['rps']:.0f} | {w['p50']} | {w['p99']} | {w['non2xx']} "
              f"| {w['socket_errors']} |", flush=True)
    print(f"\npeak RSS after the wrk runs: {server.peak_rss_mb():.1f} MB; /health cache: "
          f"{json.dumps(server.health()['cache'])}\n")
    server.stop()


def burst_part(apex, work, args):
    print("## Cold burst: 64 concurrent requests for one cold resource on a fresh server\n")
    print("| resource | answers | identical bodies | time | loads (/health) |")
    print("|---|---|---|---|---|")
    probe = Server(apex, DATA, work)
    trace = first_trace(probe.port, "sonoma-raceway", "R1")
    probe.stop()
    for name, path, counter in [
            ("session (Sonoma R1 /laps)", SESSION.format(track="sonoma-raceway", session="R1") + "/laps",
             lambda c: f"sessions: {c['loads']}"),
            ("telemetry trace (Sonoma R1)", trace,
             lambda c: f"sessions: {c['loads']}, telemetry files: {c['telemetry']['loads']}")]:
        server = Server(apex, DATA, work)
        statuses, identical, elapsed = burst(server.port, path)
        cache = server.health()["cache"]
        print(f"| {name} | {statuses} | {identical} | {elapsed:.2f} s | {counter(cache)} |", flush=True)
        server.stop()
    print()


def bad_input_part(apex, work, args):
    print("## Bad input and slow clients\n")
    server = Server(apex, DATA, work)
    bad_input(server)
    server.stop()
    print()


def memory_part(apex, work, args):
    tree = make_tree(work, args.copies)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(tree) for f in fs)
    print(f"## Memory: {args.copies} copies of data/ ({size / 1e6:.0f} MB of CSV), every session's /laps "
          "and every telemetry car's first trace, twice\n")
    print("| CACHE_MAX_MB | malloc arenas | requests | errors | RSS after start | peak RSS (VmHWM) | cache bytes at end "
          "(sessions + telemetry) | evictions (sessions / telemetry) | loads (sessions / telemetry) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for cache_mb, arenas in ((args.cache_mb, None), (4096, None), (args.cache_mb, 16)):
        server = Server(apex, tree, work, cache_mb=cache_mb,
                        extra_env={"MALLOC_ARENA_MAX": str(arenas)} if arenas else None)
        get(server.port, "/api/analytics/tracks")
        started = server.peak_rss_mb("VmRSS")
        requests, errors, _ = sweep(server)
        c = server.health()["cache"]
        t = c["telemetry"]
        shown = f"MALLOC_ARENA_MAX={arenas}" if arenas else "2 (apex serve's default)"
        print(f"| {cache_mb} | {shown} | {requests} | {errors} | {started:.1f} MB | {server.peak_rss_mb():.1f} MB "
              f"| {(c['bytes'] + t['bytes']) / 2**20:.1f} MB | {c['evictions']} / {t['evictions']} "
              f"| {c['loads']} / {t['loads']} |", flush=True)
        server.stop()


def arenas_part(apex, work, args):
    """What two malloc arenas cost cached answers: the same warm route with apex serve's two
    arenas and with glibc's default on two cores (MALLOC_ARENA_MAX=16), one after the other."""
    route = SESSION.format(track="sonoma-raceway", session="R1") + "/laps"
    print(f"## Arenas and throughput: `{route}` warm, wrk -t2 -c64 -d{args.seconds}s --latency\n")
    print("| malloc arenas | requests | req/s | p50 | p99 | non-2xx | socket errors | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for arenas in (None, 16):
        server = Server(apex, DATA, work, extra_env={"MALLOC_ARENA_MAX": str(arenas)} if arenas else None)
        status, _ = get(server.port, route)
        assert status == 200, (route, status)
        w = wrk(server.port, route, args.seconds)
        shown = f"MALLOC_ARENA_MAX={arenas}" if arenas else "2 (apex serve's default)"
        print(f"| {shown} | {w['requests']} | {w['rps']:.0f} | {w['p50']} | {w['p99']} | {w['non2xx']} "
              f"| {w['socket_errors']} | {server.peak_rss_mb():.1f} MB |", flush=True)
        server.stop()
    print()


PARTS = {"cached": cached_part, "burst": burst_part, "bad-input": bad_input_part, "memory": memory_part,
         "arenas": arenas_part}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("apex", nargs="?", default="build/apex")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--copies", type=int, default=16)
    ap.add_argument("--cache-mb", type=int, default=8)
    ap.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run: " + ", ".join(PARTS))
    args = ap.parse_args()
    parts = args.only.split(",")
    if unknown := [p for p in parts if p not in PARTS]:
        ap.error(f"unknown part {', '.join(unknown)}; parts: {', '.join(PARTS)}")
    apex = os.path.abspath(args.apex)
    work = tempfile.mkdtemp(prefix="apex-load-")
    try:
        for name in PARTS:
            if name in parts:
                PARTS[name](apex, work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

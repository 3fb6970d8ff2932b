#!/usr/bin/env python3
"""Fault injection between apex and a real local S3 server, with the table of
bench/reliability.md as output.

  python3 tests/tools/reliability_run.py BUILD_DIR/apex

Starts s3rver (tests/node_modules), uploads data/ with `apex upload`, puts
s3_fault_proxy.py in front of it, and for each fault starts a fresh `apex serve` reading
the bucket through the proxy. In each run, Barber R1 is loaded first (warm) without faults;
then the fault is switched on for the Sonoma R1 objects and
  - a cold request for Sonoma R1 /laps is sent, and compared byte for byte with the same
    request to `apex serve` on the local data/ folder (the truth);
  - meanwhile, warm Barber R1 requests are sent in a loop: they must all answer 200.
Prints one markdown row per fault: what was sent, what apex answered, errors seen by the
warm requests, whether the answer equals the truth, and the proxy's counters.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUCKET = "apex-reliability"
COLD = "/api/analytics/track/sonoma-raceway/session/R1/laps"
WARM = "/api/analytics/track/barber-motorsports-park/session/R1/best-lap"
OBJECTS = "sonoma-raceway/Sonoma/Race%201"  # the Sonoma R1 files, as the proxy sees them

SCENARIOS = [
    ("none (baseline)", []),
    ("503 twice on each Sonoma R1 GET", [{"method": "GET", "path": OBJECTS, "fault": "status:503", "times": 2}]),
    ("500 on the first 3 Sonoma R1 GETs", [{"method": "GET", "path": OBJECTS, "fault": "status:500", "times": 3}]),
    ("SlowDown on the first 4 Sonoma R1 GETs", [{"method": "GET", "path": OBJECTS, "fault": "slowdown", "times": 4}]),
    ("connection reset on the first 3 Sonoma R1 GETs", [{"method": "GET", "path": OBJECTS, "fault": "reset", "times": 3}]),
    ("body dropped mid-way on the first 3 Sonoma R1 GETs",
     [{"method": "GET", "path": OBJECTS, "fault": "drop-mid-body", "times": 3}]),
    ("body truncated with a matching Content-Length, first 3 Sonoma R1 GETs",
     [{"method": "GET", "path": OBJECTS, "fault": "truncate", "times": 3}]),
    ("2 s stall after the headers, every Sonoma R1 GET", [{"method": "GET", "path": OBJECTS, "fault": "stall:2", "times": -1}]),
    ("503 on every Sonoma R1 GET (never recovers)", [{"method": "GET", "path": OBJECTS, "fault": "status:503", "times": -1}]),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def get(port, path, timeout=120):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:  # connection errors count as errors seen
        return 0, str(e).encode()


def control(proxy_port, rules=None):
    data = None if rules is None else json.dumps(rules).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{proxy_port}/__faults__", data=data,
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def serve(apex, env, work, log_name):
    port = free_port()
    log = open(os.path.join(work, log_name), "w")
    proc = subprocess.Popen([apex, "serve", "--port", str(port)], env=env, cwd=work, stdout=log,
                            stderr=subprocess.STDOUT)
    if not wait_port(port):
        sys.exit(f"apex serve did not start, see {log.name}")
    return proc, port


def main():
    apex = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/apex")
    work = tempfile.mkdtemp(prefix="apex-reliability-")
    procs = []
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "USE_S3", "API_TOKEN"))}
    try:
        s3_port = free_port()
        s3rver = os.path.join(ROOT, "tests", "node_modules", "s3rver", "bin", "s3rver.js")
        procs.append(subprocess.Popen(["node", "--openssl-legacy-provider", s3rver, "-d", os.path.join(work, "s3"),
                                       "-a", "127.0.0.1", "-p", str(s3_port), "--silent", "--configure-bucket",
                                       BUCKET], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if not wait_port(s3_port):
            sys.exit("s3rver did not start (run `make node-deps`)")
        s3_env = {**base_env, "S3_BUCKET_NAME": BUCKET, "AWS_ACCESS_KEY_ID": "S3RVER",
                  "AWS_SECRET_ACCESS_KEY": "S3RVER"}
        up = subprocess.run([apex, "upload", os.path.join(ROOT, "data")],
                            env={**s3_env, "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}"}, cwd=work,
                            capture_output=True, text=True)
        if up.returncode != 0:
            sys.exit("upload failed: " + up.stdout + up.stderr)
        proxy_port = free_port()
        procs.append(subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "tools", "s3_fault_proxy.py"),
                                       "--listen", f"127.0.0.1:{proxy_port}", "--upstream",
                                       f"127.0.0.1:{s3_port}"], stderr=subprocess.DEVNULL))
        wait_port(proxy_port)
        local, local_port = serve(apex, {**base_env, "DATA_DIR": os.path.join(ROOT, "data")}, work, "local.log")
        procs.append(local)
        truth_status, truth = get(local_port, COLD)
        assert truth_status == 200, truth

        print("| fault (Sonoma R1 objects) | cold /laps answer | same bytes as local | time | warm requests meanwhile (errors) | S3 requests / faults injected |")
        print("|---|---|---|---|---|---|")
        for name, rules in SCENARIOS:
            control(proxy_port, [])
            env = {**s3_env, "USE_S3_DATA": "true", "S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy_port}"}
            server, port = serve(apex, env, work, "serve.log")
            assert get(port, WARM)[0] == 200
            control(proxy_port, rules)
            warm = {"ok": 0, "errors": 0}
            stop = threading.Event()

            def warm_loop():
                while not stop.is_set():
                    status, _ = get(port, WARM, timeout=10)
                    warm["ok" if status == 200 else "errors"] += 1
                    time.sleep(0.02)

            thread = threading.Thread(target=warm_loop)
            thread.start()
            started = time.time()
            status, body = get(port, COLD)
            elapsed = time.time() - started
            stop.set()
            thread.join()
            counters = control(proxy_port)
            problems = []
            if status == 200 and body != truth:
                # Not the truth: say what the session reports about its files.
                files_status, files = get(port, COLD.rsplit("/", 1)[0] + "/files")
                if files_status == 200:
                    problems = json.loads(files).get("problems", [])
            server.terminate()
            server.wait(timeout=30)
            if status == 200:
                same = "yes" if body == truth else "**NO**"
                answer = "200" + (f" ({len(problems)} problems, first: {problems[0][:150]})" if problems else "")
            else:
                same = "n/a (no data served)"
                detail = json.loads(body).get("detail", "") if body.startswith(b"{") else body.decode()[:80]
                answer = f"{status}: {detail[:110]}"
            injected = ", ".join(f"{k} x{v}" for k, v in counters["injected"].items()) or "none"
            print(f"| {name} | {answer} | {same} | {elapsed:.2f} s | {warm['ok']} x 200 ({warm['errors']} errors) "
                  f"| {counters['requests']} / {injected} |", flush=True)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

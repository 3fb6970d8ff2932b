#!/usr/bin/env python3
"""Checks APEX's fastest laps and finishing positions against the official results, for every
car of every race under a GR Cup data folder, with a reader of its own (Python's csv).

  official_results_oracle.py APEX_BINARY DATA_DIR [--without-results | --sections-only]

For each race the results file is chosen as the timing system's rules say: a 00_/03_ results
file (not 05_, by class) of that race, one not marked Provisional before a Provisional one.
The race is the "Race N" in the file's name, else in its folder's. APEX answers through
`apex serve` (/leaderboard): each results row with an official fastest lap must have an APEX
car with the same number, fastest lap (to the millisecond) and finishing position; a row
without one (FL_LAPNUM 0, no FL_TIME) must be unranked. Two cars may share a number: the
rows of one number are compared as a set.

--without-results serves a copy of the tree with every results file removed, and checks
only the fastest laps: from the timing files alone (23_, 99_) APEX must reach the same ones.
--sections-only removes the best-laps files (99_) too: 23_ alone must give them.

Prints one line per race (cars checked, disagreements) and each disagreement; exits 1 when
any, 77 (skipped) when DATA_DIR does not exist.
"""
import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

TIED = ["setpriv", "--pdeathsig", "KILL", "--"]
RESULTS_NAME = re.compile(r"^0[03]_", re.IGNORECASE)
RACE_IN_NAME = re.compile(r"Race[ _]*(\d+)", re.IGNORECASE)


def race_number(path):
    for part in reversed(path.split(os.sep)):
        match = RACE_IN_NAME.search(part)
        if match:
            return int(match.group(1))
    return None


def results_files(data_dir):
    """{(track, race): path} of each race's results file, by the rules above."""
    candidates = {}
    for track in sorted(os.listdir(data_dir)):
        for folder, _, files in os.walk(os.path.join(data_dir, track)):
            for name in files:
                if not RESULTS_NAME.match(name) or not name.upper().endswith(".CSV"):
                    continue
                path = os.path.join(folder, name)
                race = race_number(os.path.relpath(path, data_dir))
                if race is not None:
                    candidates.setdefault((track, race), []).append(path)
    return {race: sorted(paths, key=lambda p: ("provisional" in os.path.basename(p).lower(), p))[0]
            for race, paths in candidates.items()}


def seconds(text):
    """'1:37.428' / '37.428' / '1:02:03.456' -> seconds; None when blank."""
    text = text.strip()
    if not text:
        return None
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return total


def car_number(text):
    """As written, but "7.0" is "7". Leading zeros stay: "03" and "3" are two cars at one track."""
    return re.sub(r"\.0+$", "", text.strip())


def read_results(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header = [h.strip() for h in rows[0]]
    out = []
    for row in rows[1:]:
        cells = dict(zip(header, (c.strip() for c in row)))
        if not cells.get("NUMBER"):
            continue
        lap = cells.get("FL_LAPNUM", "")
        fastest = seconds(cells.get("FL_TIME", "")) if lap not in ("", "0") else None
        position = cells.get("POSITION", "")
        out.append({"number": car_number(cells["NUMBER"]),
                    "fastest": fastest,
                    "position": int(position) if position.isdigit() else None})
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(apex, data_dir, log_path):
    port = free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen([*TIED, apex, "serve", "--data-dir", data_dir, "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, cwd=tempfile.gettempdir())
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"apex serve did not start; see {log_path}")


def leaderboard(port, track, session):
    url = (f"http://127.0.0.1:{port}/api/analytics/track/{urllib.parse.quote(track)}/session/"
           f"{urllib.parse.quote(session)}/leaderboard")
    with urllib.request.urlopen(url, timeout=120) as answer:
        return json.loads(answer.read())


def compare(expected, answered, positions):
    """Disagreements between the results rows and APEX's leaderboard rows, by car number."""
    problems = []
    by_number = {}
    for row in answered:
        by_number.setdefault(str(row.get("car_number")), []).append(row)
    for number in sorted({r["number"] for r in expected}, key=lambda n: (len(n), n)):
        want = sorted((r["fastest"] is None, r["fastest"] or 0, r["position"] or 0)
                      for r in expected if r["number"] == number)
        rows = by_number.get(number, [])
        got = sorted((row["best_lap"] is None or row["position"] is None, row["best_lap"] or 0,
                      row.get("race_position") or 0) for row in rows)
        if not positions:
            want = [w[:2] for w in want]
            got = [g[:2] for g in got]
        same = len(want) == len(got) and all(
            w[0] == g[0] and (w[0] or abs(w[1] - g[1]) < 0.0005) and w[2:] == g[2:] for w, g in zip(want, got))
        if not same:
            problems.append(f"car {number}: results say {describe(want)}, APEX says {describe(got)}")
    return problems


def describe(entries):
    return "; ".join(("no fastest lap" if e[0] else f"fastest {e[1]:.3f} s")
                     + (f", P{e[2]}" if len(e) > 2 and e[2] else "") for e in entries) or "no car"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    apex, data_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    sections_only = "--sections-only" in sys.argv[3:]
    without_results = sections_only or "--without-results" in sys.argv[3:]
    removed = ("00_", "03_", "05_", "99_") if sections_only else ("00_", "03_", "05_")
    if not os.path.isdir(data_dir):
        print(f"official_results_oracle: {data_dir} not present: skipped")
        return 77
    races = results_files(data_dir)
    work = tempfile.mkdtemp(prefix="apex-oracle-")
    served = data_dir
    if without_results:
        served = os.path.join(work, "data")
        shutil.copytree(data_dir, served, ignore=lambda folder, names: [n for n in names if n.startswith(removed)])
    proc, port = serve(apex, served, os.path.join(work, "serve.log"))
    failures = 0
    try:
        for (track, race), path in sorted(races.items()):
            expected = read_results(path)
            answered = leaderboard(port, track, f"R{race}")
            problems = compare(expected, answered, positions=not without_results)
            failures += len(problems)
            print(f"{track} R{race}: {len(expected)} cars checked against {os.path.basename(path)}, "
                  f"{len(problems)} disagreements")
            for problem in problems:
                print(f"  {problem}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    print(f"official_results_oracle: {len(races)} races, {failures} disagreements"
          + (" (23_ alone)" if sections_only else " (timing files alone)" if without_results else ""))
    return 1 if failures or not races else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Sums up a test run from GoogleTest's XML reports: how many tests ran, passed, failed and
were skipped, each distinct skip reason with its count, and how many tests ran on the real
race data of ../shared (those that recorded the property shared_data, see tests/test_paths.cpp).

  test_summary.py RESULTS_DIR [--shared-dir DIR]

With --shared-dir, exits 1 when DIR/data/gr-cup exists but no test ran on it: the real-data
tests must never all skip silently where the data is.
"""
import argparse
import collections
import glob
import os
import sys
import xml.etree.ElementTree as ElementTree


def testcases(results_dir):
    for path in sorted(glob.glob(os.path.join(results_dir, "*.xml"))):
        for case in ElementTree.parse(path).getroot().iter("testcase"):
            yield case


def uses_shared_data(case):
    if case.get("shared_data"):
        return True
    return any(p.get("name") == "shared_data" for p in case.iter("property"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results_dir")
    parser.add_argument("--shared-dir")
    args = parser.parse_args()
    counts, skip_reasons, real_data = collections.Counter(), collections.Counter(), 0
    for case in testcases(args.results_dir):
        if case.get("status") == "notrun":
            continue
        counts["run"] += 1
        skipped = case.find("skipped")
        if case.find("failure") is not None:
            counts["failed"] += 1
        elif skipped is not None or case.get("result") == "skipped":
            counts["skipped"] += 1
            message = (skipped.get("message", "") if skipped is not None else "").strip()
            skip_reasons[message.splitlines()[-1] if message else "(no reason given)"] += 1
        else:
            counts["passed"] += 1
            real_data += uses_shared_data(case)
    print(f"test summary: {counts['run']} GoogleTest tests ran: {counts['passed']} passed, "
          f"{counts['failed']} failed, {counts['skipped']} skipped; {real_data} passed on the real data of ../shared")
    for reason, n in skip_reasons.most_common():
        print(f"  skipped {n}: {reason}")
    if args.shared_dir and os.path.isdir(os.path.join(args.shared_dir, "data", "gr-cup")) and real_data == 0:
        print(f"test summary: {args.shared_dir}/data/gr-cup exists but no test on it passed", file=sys.stderr)
        return 1
    if counts["run"] == 0:
        print(f"test summary: no GoogleTest report in {args.results_dir}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make lint: filters the analyser's warnings (stdin) through the suppression file
(argv[1]); prints what is left and unused or malformed suppressions; exits 1 if any."""
import re
import sys

# A suppression: FILE|CHECK|TEXT|REASON — a warning of CHECK (e.g.
# -Wanalyzer-null-dereference) in FILE whose message contains TEXT. REASON is required.
rules, bad = [], False
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    parts = [p.strip() for p in line.split("|", 3)]
    if len(parts) != 4 or not all(parts):
        print(f"{sys.argv[1]}:{n}: a suppression is FILE|CHECK|TEXT|REASON, all four given")
        bad = True
        continue
    rules.append(parts + [n, 0])
left = []
for w in sys.stdin.read().splitlines():
    if not w.strip():
        continue
    m = re.match(r"([^:]+):\d+:\d+: (?:warning|error): (.*?)(?: \[CWE-\d+\])? \[(-W[^\]]+)\]$", w)
    hit = None
    if m:
        for r in rules:
            if r[0] == m.group(1) and r[1] == m.group(3) and r[2] in m.group(2):
                hit = r
                break
    if hit:
        hit[5] += 1
    else:
        left.append(w)
for r in rules:
    if r[5] == 0:
        print(f"{sys.argv[1]}:{r[4]}: unused suppression ({r[0]} {r[1]}): remove it")
        bad = True
if left:
    print("lint: static analyser (gcc -fanalyzer; the paths are in build/analyze/<file>.log):")
    print("\n".join(left))
sys.exit(1 if left or bad else 0)

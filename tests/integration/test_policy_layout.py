# SPDX-License-Identifier: Apache-2.0
"""
Files a newcomer can hold in their head (issue 15 item 7): every C file of src/policy stays
under ~1,200 lines, and no two of them call each other both ways (policy.c was 1.9k lines
and called policy_set.c, which called back). A source check: it reads src/ (or
$QIFU_SRC_ROOT/src), runs no binary.
"""
import glob
import os
import re

ROOT = os.environ.get("QIFU_SRC_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FOLDER = os.path.join(ROOT, "src", "policy")
MAX_LINES = 1200


def code_of(path):
    """The file without comments and string literals (names in them are not calls)."""
    with open(path, encoding="utf-8") as f:
        s = f.read()
    s = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
    return re.sub(r'"(\\.|[^"\\])*"', '""', s)


def test_policy_files_are_small():
    sizes = {os.path.basename(p): sum(1 for _ in open(p, encoding="utf-8"))
             for p in glob.glob(os.path.join(FOLDER, "*.c"))}
    assert sizes and "policy.c" in sizes
    assert {f: n for f, n in sizes.items() if n > MAX_LINES} == {}


def test_policy_files_call_each_other_one_way():
    files = {os.path.basename(p): code_of(p) for p in glob.glob(os.path.join(FOLDER, "*.c"))}
    defined = {}
    for f, s in files.items():
        for m in re.finditer(r"^(?!static)[a-z][^\n;(=]*?\b(policy\w*)\(", s, re.M):
            defined[m.group(1)] = f
        for m in re.finditer(r"^const struct flow (\w+)", s, re.M):
            defined[m.group(1)] = f
    calls = {}
    for f, s in files.items():
        for name, home in defined.items():
            if home != f and re.search(r"\b%s\b" % name, s):
                calls.setdefault(f, {}).setdefault(home, []).append(name)
    both = sorted((a, b, calls[a][b], calls[b][a]) for a in calls for b in calls[a]
                  if a < b and a in calls.get(b, {}))
    assert both == []

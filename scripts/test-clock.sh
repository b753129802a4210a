#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the deadline, light, sweep and expiry tests with the server's test clock at each
# instant of docs/internals/testing.md ("The test clock"); one summary line per instant.
# QIFU_BIN defaults to build/release/qifu of this checkout.
cd "$(dirname "$0")/.." || exit 1
status=0
for t in 2026-03-10T10:00:00+08:00 2026-03-10T17:00:00+08:00 2026-03-10T18:00:00+08:00 \
         2026-03-13T18:30:00+08:00 2026-02-13T17:00:00+08:00 2025-12-31T17:00:00+08:00 \
         2026-12-31T17:00:00+08:00 2026-12-31T18:00:00+08:00; do
  r=$(QIFU_TEST_NOW=$t QIFU_BIN=${QIFU_BIN:-$PWD/build/release/qifu} nice /usr/bin/python3 -m pytest \
      tests/integration/test_demands.py tests/integration/test_demand_lights.py \
      tests/integration/test_overdue.py tests/integration/test_calendar.py \
      tests/integration/test_stats.py tests/integration/test_categories.py \
      tests/integration/test_auth.py::test_expired_session -q -p no:cacheprovider 2>&1 | tail -1)
  echo "$t: $r"
  case $r in *failed* | *error* | "") status=1 ;; esac
done
exit $status

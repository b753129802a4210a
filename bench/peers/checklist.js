// SPDX-License-Identifier: Apache-2.0
//
// bench/peers/checklist.js: the npm peer of the personal material list benchmark
// (bench/catalog_checklist.sh).
//
//   node checklist.js DUMP.json
//
// DUMP.json is what `checklist_bench --dump` wrote: logic (each item's condition exported by
// rules_to_jsonlogic, true for an item without one), answers (complete answer sets: JsonLogic
// has no UNKNOWN, so only complete answers compare) and expected (qifu's list per set: one
// char per item, '1' in the list). json-logic-js evaluates every item's condition per answer
// set; each set's list is checked against qifu's before a time is printed (exit 1 on a
// difference). The time per set covers the evaluation only (no questions, reasons or JSON
// answer: JsonLogic has none of them). Prints:
//   PEER name=json-logic-js sets=N p50_us=X p99_us=Y
'use strict';
const fs = require('fs');
const jsonLogic = require('json-logic-js');

const file = process.argv[2];
if (!file) {
  console.error('usage: node checklist.js DUMP.json');
  process.exit(2);
}
const d = JSON.parse(fs.readFileSync(file, 'utf8'));
const lat = [];
let bad = 0;
// One warm-up pass (JIT), not timed, which also checks every answer.
for (let pass = 0; pass < 2; pass++) {
  for (let r = 0; r < d.answers.length; r++) {
    const data = d.answers[r];
    const t0 = process.hrtime.bigint();
    let list = '';
    for (const logic of d.logic) list += jsonLogic.apply(logic, data) ? '1' : '0';
    const t1 = process.hrtime.bigint();
    if (pass === 1) lat.push(Number(t1 - t0) / 1000);
    else if (list !== d.expected[r] && bad++ < 5)
      console.error(`checklist peer: set ${r}: json-logic-js ${list}, qifu ${d.expected[r]}`);
  }
}
if (bad) {
  console.error(`checklist peer: ${bad} answer sets differ`);
  process.exit(1);
}
lat.sort((a, b) => a - b);
const pct = (p) => lat[Math.round(p * (lat.length - 1))];
console.log(`PEER name=json-logic-js sets=${lat.length} p50_us=${pct(0.5).toFixed(1)} p99_us=${pct(0.99).toFixed(1)}`);

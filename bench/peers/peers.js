// SPDX-License-Identifier: Apache-2.0
//
// bench/peers/peers.js: the npm peers of the policy-matching benchmark (bench/rules.sh).
//
//   node peers.js DIR [--jl N] [--jre N]
//
// DIR holds what `rules_bench --dump DIR` wrote: policies.json (each policy as JsonLogic,
// rules_to_jsonlogic), facts.json (fact types), sample.json (enterprises with complete data
// and the derived variables of the export: industry_section, years_since.<fact>,
// manual.<id> = true) and expected.json (qifu's outcome per pair: '1' = eligible or
// manual_review, which is the JsonLogic value with every manual condition true).
//
// json-logic-js evaluates the JsonLogic as it is, on the first N enterprises (default all).
// json-rules-engine gets the same policies translated here from the JsonLogic (and -> all,
// or -> any, ! -> not, comparisons -> its operators, in -> in / contains, substr prefix ->
// a custom "startsWith" operator, the at_least sum -> any of the K-subsets), one rule per
// policy, one engine.run per enterprise, on the first N enterprises (default 300: it is
// async and slow). Dates become day numbers for json-rules-engine, whose numeric
// operators want numbers.
//
// Every pair is checked against expected.json before a time is printed; on any difference
// the first ones are printed and the exit status is 1. Prints one line per peer:
//   PEER name=json-logic-js enterprises=E policies=P pairs=X secs=S ns_per_pair=Y
'use strict';
const fs = require('fs');
const path = require('path');
const jsonLogic = require('json-logic-js');
const { Engine } = require('json-rules-engine');

const argv = process.argv.slice(2);
if (argv.length < 1) {
  console.error('usage: node peers.js DIR [--jl N] [--jre N]');
  process.exit(2);
}
const dir = argv[0];
const opt = { jl: Infinity, jre: 300 };
for (let i = 1; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in opt) || i + 1 >= argv.length) {
    console.error(`peers: unknown option ${argv[i]}`);
    process.exit(2);
  }
  opt[k] = Number(argv[i + 1]);
}

const load = (name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
const policies = load('policies.json');
const factTypes = load('facts.json');
const sample = load('sample.json');
const expected = load('expected.json');
if (expected.length !== sample.length || expected[0].length !== policies.length) {
  console.error('peers: FAIL: sample.json, expected.json and policies.json do not match in size');
  process.exit(1);
}
const P = policies.length;
let failed = false;

function check(name, n, got) {
  // got(e, p) -> boolean
  const diffs = [];
  let count = 0;
  for (let e = 0; e < n; e++)
    for (let p = 0; p < P; p++) {
      const want = expected[e][p] === '1';
      const have = got(e, p);
      if (have) count++;
      if (have !== want) diffs.push({ e, p, want, have });
    }
  if (diffs.length) {
    failed = true;
    console.error(`peers: FAIL: ${name} differs from qifu on ${diffs.length} of ${n * P} pairs; first ones:`);
    for (const d of diffs.slice(0, 10))
      console.error(`  enterprise ${d.e} policy ${policies[d.p].id}: qifu ${d.want}, ${name} ${d.have}\n` +
        `    policy ${JSON.stringify(policies[d.p].logic).slice(0, 400)}\n` +
        `    enterprise ${JSON.stringify(sample[d.e]).slice(0, 400)}`);
  }
  return count;
}

function report(name, n, secs, trues) {
  const pairs = n * P;
  console.log(`PEER name=${name} enterprises=${n} policies=${P} pairs=${pairs} secs=${secs.toFixed(3)} ` +
    `ns_per_pair=${(secs * 1e9 / pairs).toFixed(1)} true_pairs=${trues}`);
}

// ---- json-logic-js ----------------------------------------------------------------------
{
  const n = Math.min(opt.jl, sample.length);
  const out = new Uint8Array(n * P);
  const logic = policies.map((p) => p.logic);
  // warm-up on a few enterprises (the JIT), not timed
  for (let e = 0; e < Math.min(n, 20); e++)
    for (let p = 0; p < P; p++) jsonLogic.truthy(jsonLogic.apply(logic[p], sample[e]));
  const t0 = process.hrtime.bigint();
  for (let e = 0; e < n; e++) {
    const data = sample[e];
    for (let p = 0; p < P; p++) out[e * P + p] = jsonLogic.truthy(jsonLogic.apply(logic[p], data)) ? 1 : 0;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const trues = check('json-logic-js', n, (e, p) => out[e * P + p] === 1);
  if (!failed) report('json-logic-js', n, secs, trues);
}

// ---- json-rules-engine -----------------------------------------------------------------------
const DAY = 86400000;
const isDate = (s) => typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s);
const days = (s) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / DAY;
const jreOps = { '==': 'equal', '!=': 'notEqual', '<': 'lessThan', '<=': 'lessThanInclusive',
  '>': 'greaterThan', '>=': 'greaterThanInclusive' };
const isVar = (x) => x !== null && typeof x === 'object' && 'var' in x;
const constant = (fact, v) => (factTypes[fact] === 'date' && isDate(v) ? days(v) : v);

function subsets(items, k) {
  const out = [];
  const rec = (start, acc) => {
    if (acc.length === k) return out.push(acc.slice());
    for (let i = start; i < items.length; i++) { acc.push(items[i]); rec(i + 1, acc); acc.pop(); }
  };
  rec(0, []);
  return out;
}

function conv(j) {
  if (isVar(j)) return { fact: j.var, operator: 'equal', value: true }; // manual.<id>
  const op = Object.keys(j)[0];
  const a = Array.isArray(j[op]) ? j[op] : [j[op]];
  switch (op) {
    case 'and': return { all: a.map(conv) };
    case 'or': return { any: a.map(conv) };
    case '!': return { not: conv(a[0]) };
    case 'in':
      if (isVar(a[0])) return { fact: a[0].var, operator: 'in', value: a[1] };
      return { fact: a[1].var, operator: 'contains', value: a[0] };
    case '<=':
      if (a.length === 3) // between: [lo, var, hi]
        return { all: [
          { fact: a[1].var, operator: 'greaterThanInclusive', value: constant(a[1].var, a[0]) },
          { fact: a[1].var, operator: 'lessThanInclusive', value: constant(a[1].var, a[2]) }] };
      // fallthrough
    case '==': case '!=': case '<': case '>':
      if (op === '==' && a[0].substr)
        return { fact: a[0].substr[0].var, operator: 'startsWith', value: a[1] };
      return { fact: a[0].var, operator: jreOps[op], value: constant(a[0].var, a[1]) };
    case '>=':
      if (a[0]['+']) { // at_least K: {">=": [{"+": [{"if": [c, 1, 0]}, ...]}, K]}
        const kids = a[0]['+'].map((x) => x.if[0]);
        return { any: subsets(kids, a[1]).map((s) => ({ all: s.map(conv) })) };
      }
      return { fact: a[0].var, operator: 'greaterThanInclusive', value: constant(a[0].var, a[1]) };
    default:
      throw new Error(`peers: no json-rules-engine form for JsonLogic operator ${op}`);
  }
}

// The engine's facts: flat names, dates as day numbers.
function jreFacts(ent) {
  const f = {};
  for (const [k, v] of Object.entries(ent)) {
    if (k === 'years_since' || k === 'manual') {
      for (const [k2, v2] of Object.entries(v)) f[`${k}.${k2}`] = v2;
    } else {
      f[k] = factTypes[k] === 'date' ? days(v) : v;
    }
  }
  return f;
}

async function runJre() {
  const n = Math.min(opt.jre, sample.length);
  const engine = new Engine([], { allowUndefinedFacts: false });
  engine.addOperator('startsWith', (a, b) => typeof a === 'string' && a.startsWith(b));
  policies.forEach((p, i) => {
    const c = conv(p.logic);
    // a rule's top level must be all/any/not
    engine.addRule({ conditions: c.all || c.any || c.not ? c : { all: [c] },
      event: { type: 'eligible', params: { i } } });
  });
  const facts = sample.slice(0, n).map(jreFacts);
  const out = new Uint8Array(n * P);
  for (let e = 0; e < Math.min(n, 5); e++) await engine.run(facts[e]); // warm-up
  const t0 = process.hrtime.bigint();
  for (let e = 0; e < n; e++) {
    const r = await engine.run(facts[e]);
    for (const ev of r.events) out[e * P + ev.params.i] = 1;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const trues = check('json-rules-engine', n, (e, p) => out[e * P + p] === 1);
  if (!failed) report('json-rules-engine', n, secs, trues);
}

runJre().then(() => process.exit(failed ? 1 : 0), (err) => {
  console.error(`peers: FAIL: json-rules-engine: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});

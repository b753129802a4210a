// SPDX-License-Identifier: Apache-2.0
// The catalogue pages' pure helpers (issue 18 item 9), under node without a browser:
// the field-level diff of two guide versions and the normalised lint and quality answers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const lib = (f) => import(path.join(ROOT, 'web', 'src', 'lib', f))

test('guideDiff names every changed leaf, matching rows by id', async () => {
  const { guideDiff } = await lib('guideDiff.js')
  const a = {
    consult_phone: '0551-1',
    materials: [{ id: 'm1', name: '申请书', copies: 1 }, { id: 'm2', name: '营业执照', copies: 1 }],
    time_limit: { legal_days: 20, promised_days: 5, special: [] },
  }
  const b = {
    consult_phone: '0551-2',
    // m2 moved first and m1 lost a copy: rows match by id, so only copies changes.
    materials: [{ id: 'm2', name: '营业执照', copies: 1 }, { id: 'm1', name: '申请书', copies: 2 }, { id: 'm3', name: '平面图' }],
    time_limit: { legal_days: 20, promised_days: 5, special: [{ name: '现场核查', days: 10 }] },
    free: true,
  }
  const d = guideDiff(a, b)
  const by = Object.fromEntries(d.map((x) => [x.path, x]))
  assert.deepEqual(by.consult_phone, { path: 'consult_phone', kind: 'changed', from: '0551-1', to: '0551-2' })
  assert.deepEqual(by['materials[m1].copies'], { path: 'materials[m1].copies', kind: 'changed', from: 1, to: 2 })
  assert.equal(by['materials[m3].name'].kind, 'added')
  assert.equal(by['time_limit.special'], undefined) // an empty list is no value
  assert.equal(by['time_limit.special[0].name'].to, '现场核查')
  assert.equal(by.free.kind, 'added')
  assert.equal(d.filter((x) => x.path.startsWith('materials[m2]')).length, 0)
  assert.deepEqual(guideDiff(a, JSON.parse(JSON.stringify(a))), [])
  // Empty values read as absent (the editor leaves empty optional fields out).
  assert.deepEqual(guideDiff({ materials: [{ id: 'm1', note: '', sample: null, when: null }], faq: [] },
    { materials: [{ id: 'm1' }] }), [])
})

test('lint and quality answers are normalised', async () => {
  const { lintSummary, latestOf } = await lib('lintText.js')
  const s = lintSummary({ ok: false, errors: 1, warnings: 1, findings: [{ rule: 'fee_missing', severity: 'error', path: 'fees', message: '缺少收费' },
    { rule: 'material_vague', severity: 'warning', path: 'materials[1].name', message: '材料名称含糊' }] })
  assert.deepEqual([s.ok, s.errors, s.warnings], [false, 1, 1])
  assert.deepEqual(lintSummary({ findings: [] }), { ok: true, errors: 0, warnings: 0, findings: [] })
  assert.equal(latestOf({ items: [{ version: 1 }, { version: 3 }, { version: 2 }] }).version, 3)
  assert.equal(latestOf({ items: [] }), null)
  const { qualityRows } = await lib('quality.js')
  // GET /catalog/quality: score is the share of guides without findings, in percent.
  const rows = qualityRows({ items: [
    { dept: '甲局', guides: 4, clean: 4, findings: 0, errors: 0, warnings: 0, by_rule: {}, score: 100 },
    { dept: '乙局', guides: 2, clean: 1, findings: 2, errors: 1, warnings: 1, by_rule: { fee_missing: 1, material_vague: 1 }, score: 0.5 }] })
  assert.deepEqual(rows.map((r) => [r.dept, r.score, r.items, r.flagged]), [['乙局', 0.5, 2, 1], ['甲局', 100, 4, 0]])
  assert.deepEqual(rows[0].defects.map((d) => [d.rule, d.count]), [['fee_missing', 1], ['material_vague', 1]])
})

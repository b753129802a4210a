// SPDX-License-Identifier: Apache-2.0
// The web UI talks to the API only through its client modules (web/src/api/, one per
// resource, on the core api/http.js), and takes the names of states from the server
// (GET /labels, lib/labels.js) instead of copying them. No browser: it reads the sources.
// QIFU_WEB_SRC points it at another copy of web/src (to see it fail on an older tree).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const SRC = process.env.QIFU_WEB_SRC || path.join(ROOT, 'web', 'src')
const API_DIR = path.join(SRC, 'api') + path.sep

function sources(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) sources(p, out)
    else if (/\.(vue|js|mjs)$/.test(e.name)) out.push(p)
  }
  return out
}
const outside = sources(SRC).filter((f) => !f.startsWith(API_DIR))
const rel = (f) => path.relative(SRC, f)

/** Lines of the files outside web/src/api/ (and except skip) that match re, as "file:line: text". */
function hits(re, skip = []) {
  const out = []
  for (const f of outside.filter((x) => !skip.includes(rel(x)))) {
    fs.readFileSync(f, 'utf-8').split('\n').forEach((line, i) => {
      if (re.test(line)) out.push(`${rel(f)}:${i + 1}: ${line.trim()}`)
    })
  }
  return out
}

test('the client modules exist, one per resource, on one core', () => {
  for (const m of ['http', 'demands', 'grants', 'applications', 'policies', 'enterprises', 'notices', 'users',
    'orgs', 'categories', 'calendar', 'stats', 'audit', 'session', 'codes', 'attachments', 'labels']) {
    assert.ok(fs.existsSync(path.join(API_DIR, `${m}.js`)), `web/src/api/${m}.js is missing`)
  }
})

test('no file outside web/src/api/ names /api/v1, calls fetch or the core with a path', () => {
  assert.deepEqual(hits(/\/api\/v1/), [], 'API URLs belong in web/src/api/')
  assert.deepEqual(hits(/(^|[^.\w])fetch\(/), [], 'fetch() belongs in web/src/api/http.js')
  assert.deepEqual(hits(/lib\/api\.js/), [], 'lib/api.js is gone: use the module of the resource')
  // From the core, only the error class and the helpers that take no path may be imported.
  const allowed = new Set(['ApiError', 'newIdempotencyKey', 'onUnauthorized', 'onWrite', 'setCsrfToken'])
  const bad = []
  for (const f of outside) {
    const text = fs.readFileSync(f, 'utf-8')
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"][^'"]*api\/http\.js['"]/g)) {
      for (const name of m[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0]).filter(Boolean)) {
        if (!allowed.has(name)) bad.push(`${rel(f)}: imports ${name} from api/http.js`)
      }
    }
    if (/import\s*\*\s*as\s+\w+\s+from\s*['"][^'"]*api\/http\.js['"]/.test(text)) bad.push(`${rel(f)}: imports all of api/http.js`)
  }
  assert.deepEqual(bad, [])
  assert.deepEqual(hits(/\bpath="\//), [], 'PagedTable takes :source (a module\'s page function), not a path')
})

test('no copied names of workflow states or roles outside the labels store', () => {
  // A state code of a demand, grant, application or policy mapped to a Chinese name.
  const codes = 'submitted|accepted|declined|answered_directly|dispatched|signed|return_requested|extension_requested|' +
    'replied|reopened|rated|rectifying|archived|merged|matched|notified|confirmed|paid|more_info|approved|rejected|' +
    'withdrawn|expired'
  assert.deepEqual(hits(new RegExp(`\\b(${codes})\\s*:\\s*['"][^'"]*[\\u4e00-\\u9fff]`)), [])
  assert.deepEqual(hits(/\b(policy_officer|supervisor|enterprise)\s*:\s*(\{\s*label:\s*)?['"][^'"]*[\u4e00-\u9fff]/), [],
    'role names come from GET /labels (or GET /me role_label)')
})

test('lib/labels.js names nothing itself: every state, action and role name comes from GET /labels', () => {
  // A string holding Chinese on a line that is not a comment (the INTERIM table was one).
  const own = fs.readFileSync(path.join(SRC, 'lib', 'labels.js'), 'utf-8').split('\n')
    .map((line, i) => `lib/labels.js:${i + 1}: ${line.trim()}`)
    .filter((l) => !/^\S+ (\/\/|\/\*|\*)/.test(l) && /['"`][^'"`]*[\u4e00-\u9fff]/.test(l))
  assert.deepEqual(own, [])
})

test('a notice links to its record through api/notices.js linkOf, by entity', async () => {
  const { linkOf } = await import(path.join(API_DIR, 'notices.js'))
  assert.deepEqual(linkOf({ entity: 'demand', entity_id: '12' }), { to: '/enterprise/demands/12', text: '查看诉求' })
  assert.deepEqual(linkOf({ entity: 'grant', entity_id: '3' }), { to: '/enterprise/grants', text: '查看兑现' })
  assert.deepEqual(linkOf({ entity: 'application', entity_id: '4' }), { to: '/enterprise/grants', text: '查看申请' })
  // The server sends only the entity-keyed shape: the older demand_id / kind fields name nothing.
  assert.equal(linkOf({ demand_id: '7', kind: 'demand_replied' }), null)
  assert.equal(linkOf({ kind: 'grant_notified' }), null)
  assert.equal(linkOf({ entity: 'policy', entity_id: '1' }), null)
})

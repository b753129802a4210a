// SPDX-License-Identifier: Apache-2.0
// Open data (issue 18 item 7): the CPSV-AP 3.2.0 JSON-LD of EVERY published item of the
// starting catalogue (loaded by `qifu demo`) validates against the profile's SHACL shapes
// (../shared/standards/cpsv-ap-3.2.0), with npm `jsonld` + `rdf-validate-shacl`.
// The profile's own example is the oracle of the validator set-up: its JSON-LD and Turtle
// give the same canonical graph, it reports exactly the 6 sh:class results the standards
// folder's README names, and none once those code-list values are typed.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startServer, ROOT } from './harness.mjs'
import { cpsvValidator, jsonldToDataset, CONTEXT_URL } from './cpsv_validate.mjs'

const require = createRequire(path.join(ROOT, 'web', 'package.json'))
const jsonld = require('jsonld')
const N3 = require('n3')

/** The ITEM file (docs/internals/catalog.md) of a member detail of the hand-worked bundle. */
function itemFile(d) {
  const it = d.item
  return {
    basic_code: it.basic_code, name: it.name, type: it.type, competent_dept: it.competent_dept,
    basis: it.basis, aliases: it.aliases, life_stages: it.life_stages,
    subitems: [{
      code: d.subitem.code, name: d.subitem.name,
      tasks: [{
        kind: d.task.kind, seq: d.task.seq, name: d.task.name,
        impls: [{ region: d.codes.region, agency_name: d.agency.name, agency_uscc: d.agency.uscc, guide: d.guide }],
      }],
    }],
  }
}

let v, srv
before(async () => {
  v = await cpsvValidator()
  srv = await startServer()
  // Besides the starting catalogue, the hand-worked 一件事 of tests/cases/catalog (so the
  // bundle's BusinessEvent and Participation nodes are validated whatever data/ holds).
  const fx = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'cases', 'catalog', 'bundle3.json'), 'utf-8'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qifu-cpsv-'))
  fs.mkdirSync(path.join(dir, 'items'))
  fs.mkdirSync(path.join(dir, 'bundles'))
  for (const m of fx.members)
    fs.writeFileSync(path.join(dir, 'items', `${m.item.basic_code}.json`), JSON.stringify(itemFile(m)))
  fs.writeFileSync(path.join(dir, 'bundles', `${fx.bundle.code}.json`), JSON.stringify(fx.bundle))
  srv.cli('catalog', 'load', dir, '--db', '$DB')
  fs.rmSync(dir, { recursive: true, force: true })
})
after(async () => {
  await srv?.stop()
})

const DCT = 'http://purl.org/dc/terms/'
const CV = 'http://data.europa.eu/m8g/'

async function canonical(nquads) {
  return jsonld.canonize(nquads, { algorithm: 'RDFC-1.0', inputFormat: 'application/n-quads', format: 'application/n-quads' })
}

test('oracle: the profile example round-trips JSON-LD ↔ Turtle and reports its 6 known sh:class results', async () => {
  const ex = JSON.parse(fs.readFileSync(path.join(v.dir, 'example-rdf_public_service.jsonld'), 'utf-8'))
  const ctx = fs.readFileSync(path.join(v.dir, 'cpsv-ap.jsonld'), 'utf-8')
  // Round trip: the JSON-LD's graph is the Turtle's graph (canonical N-Quads equal).
  const fromJsonld = await jsonldToDataset(ex, ctx)
  const ttlQuads = new N3.Parser().parse(fs.readFileSync(path.join(v.dir, 'example-rdf_public_service.ttl'), 'utf-8'))
  const ttlText = new N3.Writer({ format: 'N-Quads' }).quadsToString(ttlQuads)
  const jsonText = new N3.Writer({ format: 'N-Quads' }).quadsToString([...fromJsonld])
  assert.equal(fromJsonld.size, ttlQuads.length)
  assert.equal(await canonical(jsonText), await canonical(ttlText))

  const r = await v.validate(ex)
  assert.equal(r.conforms, false)
  assert.equal(r.results.length, 6, JSON.stringify(r.results, null, 1))
  assert.ok(r.results.every((x) => x.component.endsWith('#ClassConstraintComponent')))
  // Typing the code-list values (as the export does) leaves nothing to report.
  const typed = structuredClone(ex)
  const extra = [
    ['ex:federalreduction', 'skos:Concept'],
    ['ex:certicate', 'skos:Concept'],
    ['http://publications.europa.eu/resource/authority/atu/BEL', 'dct:Location'],
    ['http://data.europa.eu/snb/com-channel/b37115f83e', 'skos:Concept'],
    ['http://publications.europa.eu/resource/authority/frequency/DAILY', 'skos:Concept'],
    ['http://publications.europa.eu/resource/authority/frequency/WEEKLY', 'skos:Concept'],
  ]
  typed['@context'][1].dct = DCT
  for (const [id, type] of extra) typed['@graph'].push({ '@id': id, '@type': type })
  const r2 = await v.validate(typed)
  assert.deepEqual(r2.results, [])
  assert.equal(r2.conforms, true)
})

/** Every published item of the catalogue: the public list, page after page. */
async function allItems() {
  const ids = []
  let cursor = ''
  for (;;) {
    const res = await fetch(`${srv.url}/api/v1/service-items?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    assert.equal(res.status, 200)
    const page = await res.json()
    for (const it of page.items) ids.push(it.id)
    if (!page.next_cursor) break
    cursor = page.next_cursor
  }
  return ids
}

let firstDoc = null

test('every published item of the starting catalogue validates against the CPSV-AP 3.2.0 shapes', async () => {
  const ids = await allItems()
  assert.ok(ids.length > 0, 'the demo catalogue has published items')
  const failures = []
  let grouped = 0
  for (const id of ids) {
    const res = await fetch(`${srv.url}/api/v1/service-items/${id}.jsonld`)
    assert.equal(res.status, 200, `item ${id}`)
    assert.match(res.headers.get('content-type'), /^application\/ld\+json/)
    const doc = await res.json()
    assert.equal(doc['@context'][0], CONTEXT_URL)
    const r = await v.validate(doc)
    if (!r.conforms) failures.push({ id, results: r.results.slice(0, 5) })
    if (doc['@graph'].some((n) => Array.isArray(n['@type']) && n['@type'].includes('cv:BusinessEvent'))) grouped++
    firstDoc ??= doc
  }
  console.log(`# CPSV-AP: ${ids.length} published items validated (${grouped} in a 一件事), ${failures.length} not conforming`)
  assert.deepEqual(failures, [])
  assert.ok(grouped >= 3, 'the hand-worked bundle\'s 3 members are grouped by their BusinessEvent')
})

test('a broken export is refused: the service without its identifier', async () => {
  assert.ok(firstDoc, 'an export was fetched')
  const broken = structuredClone(firstDoc)
  const svc = broken['@graph'].find((n) => n['@type'] === 'cpsv:PublicService')
  delete svc['dct:identifier']
  const r = await v.validate(broken)
  assert.equal(r.conforms, false)
  assert.ok(r.results.some((x) => x.path === `${DCT}identifier` && x.component.endsWith('#MinCountConstraintComponent')),
    JSON.stringify(r.results))
  // And an Evidence without its title.
  const broken2 = structuredClone(firstDoc)
  const ev = broken2['@graph'].find((n) => n['@type'] === 'cv:Evidence')
  assert.ok(ev, 'the export has an Evidence (申请材料)')
  delete ev['dct:title']
  const r2 = await v.validate(broken2)
  assert.equal(r2.conforms, false)
  // A competent authority that is not typed as a PublicOrganisation.
  const broken3 = structuredClone(firstDoc)
  const org = broken3['@graph'].find((n) => Array.isArray(n['@type']) && n['@type'].includes('cv:PublicOrganisation'))
  org['@type'] = ['foaf:Agent']
  const r3 = await v.validate(broken3)
  assert.ok(r3.results.some((x) => x.path === `${CV}hasCompetentAuthority`), JSON.stringify(r3.results))
})

test('unknown and unpublished items answer 404, also as JSON-LD', async () => {
  const res = await fetch(`${srv.url}/api/v1/service-items/999999.jsonld`)
  assert.equal(res.status, 404)
  const res2 = await fetch(`${srv.url}/api/v1/service-items/abc.jsonld`)
  assert.equal(res2.status, 404)
})

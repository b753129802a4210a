// catalog.js — the 办事指南 service catalogue (issue 18; docs/internals/catalog.md):
// published 实施清单 rows (/service-items, public), one item with its guide, its versions,
// the draft → review → published workflow, the guide lint, the departments' guide-quality
// scores, the schema.org / CPSV-AP JSON-LD and the 跨省通办 report.
//
//   import * as catalog from '@/api/catalog.js'
//   const { items, nextCursor } = await catalog.page({ life_stage: 'zhunru' }, null, 20)
//   const it = await catalog.get(id)               // { id, impl_code, item, version, guide, ... }
//   const draft = await catalog.get(id, 3)         // another version (a draft needs catalog.write)
//   await catalog.act(id, 3, 'submit', '请审核')    // submit | approve | reject | withdraw
import { http, pager, exporter, all, url } from './http.js'

// application/ld+json answers come back as text from http.js.
const asJson = (x) => (typeof x === 'string' ? JSON.parse(x) : x)
const one = (id) => `/service-items/${encodeURIComponent(id)}`
const ver = (id, v) => `${one(id)}/versions/${encodeURIComponent(v)}`

/** One page of published items; query: life_stage, dept, type, region, cross (1), q. */
export const page = pager('/service-items')
/** Every published item under query (the portal's department and stage counts). */
export const allItems = (query = {}) => all('/service-items', query, 2000)
/** Downloads the item list as Excel under query's filters. */
export const exportXlsx = exporter('/service-items')
/** One item with its published guide; version picks another version. */
export const get = (id, version) => http.get(one(id), version ? { version } : undefined)
/** The versions of an item ({ items: [{ version, state, effective_from, ... }] }). */
export const versions = (id) => http.get(`${one(id)}/versions`)
/** Creates an item tree from an ITEM document (draft versions). */
export const create = (itemDoc, key) => http.post('/service-items', itemDoc, { idempotencyKey: key })
/** A new draft version: guide given, or a copy of the published one when omitted. */
export const newVersion = (id, guide) => http.post(`${one(id)}/versions`, guide ? { guide } : {})
/** Saves a draft's guide. */
export const saveVersion = (id, v, guide) => http.put(ver(id, v), { guide })
/** Runs a workflow action on a version with an optional note. */
export const act = (id, v, action, note) => http.post(`${ver(id, v)}/actions`, note ? { action, note } : { action })
/** The lint of a version ({ ok, findings: [{ rule, level, path, message }] }). */
export const lint = (id, v) => http.get(`${ver(id, v)}/lint`)
/** The guide-quality score per department. */
export const quality = () => http.get('/catalog/quality')
/** Downloads the guide-quality board as Excel. */
export const qualityXlsx = exporter('/catalog/quality')
/** The item as CPSV-AP 3.2.0 JSON-LD. */
export const jsonld = (id) => http.get(`${one(id)}.jsonld`).then(asJson)
/** The item's schema.org GovernmentService markup for its guide page. */
export const schemaOrg = (id) => http.get(`${one(id)}.schema.json`).then(asJson)
/** A link to the item's CPSV-AP JSON-LD (open data). */
export const jsonldUrl = (id) => url(`${one(id)}.jsonld`)
/** The 跨省通办 report (by scope and mode, 办理类 vs 查询类). */
export const crossRegion = () => http.get('/catalog/cross-region')
/** Downloads the 跨省通办 report (one row per scope and mode) as Excel. */
export const crossRegionXlsx = exporter('/catalog/cross-region')
/** The version workflow's entity name in GET /labels. */
export const FLOW = 'catalog_version'

// demands.js — 诉求 (GET/POST /demands, actions, timeline, duplicates; docs/internals/demand.md).
import { http, pager, exporter, upload } from './http.js'

const one = (id) => `/demands/${encodeURIComponent(id)}`

/** One page of GET /demands (query: state, light, q, category...); for PagedTable :source. */
export const page = pager('/demands')
/** The raw list answer ({items, next_cursor}) of GET /demands with query (limit etc.). */
export const list = (query) => http.get('/demands', query)
export const get = (id) => http.get(one(id))
/** Creates a demand; key is the form's Idempotency-Key. */
export const create = (body, key) => http.post('/demands', body, { idempotencyKey: key })
/** What the caller may do now: [{action, label, note_required, ...}]. */
export const actions = (id) => http.get(`${one(id)}/actions`)
/** Runs an action: act(id, 'sign'), act(id, 'reply', { note }). Resolves with the demand. */
export const act = (id, action, body = {}) => http.post(`${one(id)}/actions`, { ...body, action })
export const timeline = (id) => http.get(`${one(id)}/timeline`)
export const duplicates = (id) => http.get(`${one(id)}/duplicates`)
/** Downloads the 诉求清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/demands')
/** Imports 12345 work orders from a CSV or .xlsx file (query: dry_run, skip_invalid). */
export const importFile = (file, query) => upload('/demands:import', file, query)
/** One action on many demands: bulk('accept', ids), bulk('dispatch', ids, { lead }). Resolves with
 * the per-record report {total, succeeded, failed, items: [{id, ok, code, message, field}]}. */
export const bulk = (action, ids, body) => http.post('/demands/bulk', { action, ids, body })

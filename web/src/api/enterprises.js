// enterprises.js — enterprises (/enterprises/{credit code}: profile, facts, matched policies).
import { http, exporter, upload, pager } from './http.js'

const one = (code) => `/enterprises/${encodeURIComponent(code)}`

export const get = (code) => http.get(one(code))
/** One page of the registry the caller may see (query: q = name or credit code, region, industry). */
export const page = pager('/enterprises')
/** Search by name or code: the raw list answer ({items, next_cursor}). */
export const search = (q, limit = 20) => http.get('/enterprises', { q, limit })
/** The enterprise's facts; history: also the superseded values. */
export const facts = (code, history = false) => http.get(`${one(code)}/facts`, history ? { history: 1 } : {})
export const saveFacts = (code, facts) => http.put(`${one(code)}/facts`, { facts })
/** The policies matched for the enterprise (query: explain...). */
export const policies = (code, query) => http.get(`${one(code)}/policies`, query)
/** Downloads the 企业名录 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/enterprises')
/** Imports a CSV or .xlsx file (query: dry_run, skip_invalid); resolves with the report. */
export const importFile = (file, query) => upload('/enterprises:import', file, query)

// policies.js — policies (/policies: list, versions, actions, trial, 免申即享 runs, matching)
// and the policy-set template the compact match answers are joined with (lib/explain.js).
import { http, pager, exporter } from './http.js'

const one = (id) => `/policies/${encodeURIComponent(id)}`

export const page = pager('/policies')
/** A policy; version picks one version (a draft) instead of the current one. */
export const get = (id, version) => http.get(one(id), version ? { version } : undefined)
export const create = (doc, key) => http.post('/policies', doc, { idempotencyKey: key })
export const update = (id, doc) => http.patch(one(id), doc)
/** Runs an action (validate, publish, withdraw, new_version, adopt_conditions). */
export const act = (id, action, body = {}) => http.post(`${one(id)}/actions`, { ...body, action })
export const versions = (id) => http.get(`${one(id)}/versions`)
/** A trial against one enterprise: trial(id, { credit_code, version }). */
export const trial = (id, query) => http.get(`${one(id)}/trial`, query)
/** How many enterprises of the registry a version (default: the draft) would reach: reach(id, { version }). */
export const reach = (id, query) => http.get(`${one(id)}/reach`, query)
export const applicationForm = (id) => http.get(`${one(id)}/application-form`)
export const runs = (id) => http.get(`${one(id)}/runs`)
export const startRun = (id) => http.post(`${one(id)}/runs`, {})
export const getRun = (id, runId) => http.get(`${one(id)}/runs/${encodeURIComponent(runId)}`)
/** POST /policies/match: which policies the given facts meet (explain: 'compact' | 'full'). */
export const match = (body) => http.post('/policies/match', body)
/** The policy-set template (GET /policy-set; the browser revalidates it with its ETag). */
export const policySet = () => http.get('/policy-set')
/** Downloads the 政策清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/policies')

// applications.js — policy applications, 政策申请 (/applications; not the 一网通办 cases).
import { http, pager, exporter } from './http.js'

const one = (id) => `/applications/${encodeURIComponent(id)}`

export const page = pager('/applications')
export const get = (id) => http.get(one(id))
/** Applies for a policy; key is the form's Idempotency-Key. */
export const create = (body, key) => http.post('/applications', body, { idempotencyKey: key })
/** Runs an action: act(id, 'approve', { amount }), act(id, 'withdraw'). */
export const act = (id, action, body = {}) => http.post(`${one(id)}/actions`, { ...body, action })
/** Downloads the 申请清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/applications')

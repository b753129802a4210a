// applications.js — policy applications, 政策申请 (/applications; not the 一网通办 cases).
import { http, pager, exporter, url as apiUrl } from './http.js'

const one = (id) => `/applications/${encodeURIComponent(id)}`

export const page = pager('/applications')
export const get = (id) => http.get(one(id))
/** Applies for a policy; key is the form's Idempotency-Key. */
export const create = (body, key) => http.post('/applications', body, { idempotencyKey: key })
/** Runs an action: act(id, 'approve', { amount }), act(id, 'withdraw'). */
export const act = (id, action, body = {}) => http.post(`${one(id)}/actions`, { ...body, action })
/** Downloads the 申请清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/applications')
/** The materials of an application ({items, max_files}): the applicant and the reviewer only. */
export const materials = (id) => http.get(`${one(id)}/materials`)
/** Uploads one File as a material (raw body, ?name=). */
export const uploadMaterial = (id, file, name = file.name) =>
  http.post(`${one(id)}/materials`, file, {
    query: { name },
    headers: { 'Content-Type': file.type || 'application/octet-stream' },
  })
/** The download link of one material. */
export const materialUrl = (id, mid) => apiUrl(`${one(id)}/materials/${encodeURIComponent(mid)}`)

// attachments.js — the files of a demand (GET/POST /demands/{id}/attachments).
import { http, url as apiUrl } from './http.js'

const base = (demandId) => `/demands/${encodeURIComponent(demandId)}/attachments`

export const list = (demandId) => http.get(base(demandId))
/** Uploads one File (raw body, ?name= its name or name; internal: government users only). */
export const upload = (demandId, file, { name = file.name, internal = false } = {}) =>
  http.post(base(demandId), file, {
    query: { name, internal: internal ? 1 : undefined },
    headers: { 'Content-Type': file.type || 'application/octet-stream' },
  })
/** The download link of one attachment (the session cookie goes along). */
export const url = (demandId, aid) => apiUrl(`${base(demandId)}/${encodeURIComponent(aid)}`)

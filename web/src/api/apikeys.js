// apikeys.js — API keys (admin: GET/POST /apikeys, DELETE /apikeys/{id}).
import { http, exporter } from './http.js'

export const list = () => http.get('/apikeys')
/** Creates a key for an organisation: { name, org }; the answer's key is shown once. */
export const create = (body) => http.post('/apikeys', body)
export const revoke = (id) => http.del(`/apikeys/${encodeURIComponent(id)}`)
/** Downloads the API 密钥 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/apikeys')

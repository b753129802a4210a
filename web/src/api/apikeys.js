// apikeys.js — API keys (admin: GET /apikeys, DELETE /apikeys/{id}).
import { http, exporter } from './http.js'

export const list = () => http.get('/apikeys')
export const revoke = (id) => http.del(`/apikeys/${encodeURIComponent(id)}`)
/** Downloads the API 密钥 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/apikeys')

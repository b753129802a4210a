// apikeys.js — API keys (admin: GET /apikeys, DELETE /apikeys/{id}).
import { http } from './http.js'

export const list = () => http.get('/apikeys')
export const revoke = (id) => http.del(`/apikeys/${encodeURIComponent(id)}`)

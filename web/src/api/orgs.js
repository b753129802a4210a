// orgs.js — organisations (GET /orgs, every page; POST /orgs).
import { http, all as allPages } from './http.js'

export const all = () => allPages('/orgs')
export const create = (body, key) => http.post('/orgs', body, { idempotencyKey: key })

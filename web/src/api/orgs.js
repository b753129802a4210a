// orgs.js — organisations (GET /orgs, every page; POST /orgs).
import { http, all as allPages, exporter } from './http.js'

export const all = () => allPages('/orgs')
export const create = (body, key) => http.post('/orgs', body, { idempotencyKey: key })
/** Downloads the 机构清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/orgs')

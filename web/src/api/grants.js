// grants.js — policy grants, 兑现 (GET /grants, POST /grants/{id}/actions).
import { http, pager, exporter } from './http.js'

export const page = pager('/grants')
/** One grant (GET /grants/{id}). */
export const get = (id) => http.get(`/grants/${encodeURIComponent(id)}`)
/** Runs an action: act(id, 'confirm'), act(id, 'pay', { amount, paid_on }). */
export const act = (id, action, body = {}) => http.post(`/grants/${encodeURIComponent(id)}/actions`, { ...body, action })
/** Downloads the 兑现清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/grants')

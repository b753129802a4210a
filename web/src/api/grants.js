// grants.js — policy grants, 兑现 (GET /grants, POST /grants/{id}/actions).
import { http, pager } from './http.js'

export const page = pager('/grants')
/** Runs an action: act(id, 'confirm'), act(id, 'pay', { amount, paid_on }). */
export const act = (id, action, body = {}) => http.post(`/grants/${encodeURIComponent(id)}/actions`, { ...body, action })

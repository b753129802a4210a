// grants.js — policy grants, 兑现 (GET /grants, POST /grants/{id}/actions).
import { http, pager, exporter, upload } from './http.js'

export const page = pager('/grants')
/** One grant (GET /grants/{id}). */
export const get = (id) => http.get(`/grants/${encodeURIComponent(id)}`)
/** Runs an action: act(id, 'confirm'), act(id, 'pay', { amount, paid_on }). */
export const act = (id, action, body = {}) => http.post(`/grants/${encodeURIComponent(id)}/actions`, { ...body, action })
/** Downloads the 兑现清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/grants')
/** One action on many grants: bulk('notify', ids, { note }); the per-record report. */
export const bulk = (action, ids, body) => http.post('/grants/bulk', { action, ids, body })
/** A bank's result file (.csv or .xlsx: 兑现编号, 实付金额（元）, 拨付日期, 结果, 银行流水号, 说明),
 * each line recorded as 拨付; the per-line report {total, succeeded, failed, items: [{line, id, ok, ...}]}. */
export const bankResults = (file) => upload('/grants:bank-results', file)

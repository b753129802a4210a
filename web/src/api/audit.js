// audit.js — the audit log (admin: GET /audit, paged).
import { pager, exporter } from './http.js'

export const page = pager('/audit')
/** The events of one record, newest first (GET /audit?entity=&id=). */
export const of = (entity, id, limit = 100) => page({ entity, id }, null, limit)
/** Downloads the 审计日志 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/audit')

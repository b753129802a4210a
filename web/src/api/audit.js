// audit.js — the audit log (admin: GET /audit, paged).
import { pager, exporter } from './http.js'

export const page = pager('/audit')
/** Downloads the 审计日志 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/audit')

// audit.js — the audit log (admin: GET /audit, paged).
import { pager } from './http.js'

export const page = pager('/audit')
/** The events of one record, newest first (GET /audit?entity=&id=). */
export const of = (entity, id, limit = 100) => page({ entity, id }, null, limit)

// audit.js — the audit log (admin: GET /audit, paged).
import { pager } from './http.js'

export const page = pager('/audit')

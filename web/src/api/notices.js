// notices.js — the caller's notices (GET /notices, newest first; ?unread=1 only the unread
// ones), marking them read for the caller (POST /notices/{id}/read, POST /notices/read), and
// where each one leads.
import { http, pager, exporter } from './http.js'

export const page = pager('/notices')
/** Marks one notice read; resolves with { marked, unread } (the caller's unread count now). */
export const markRead = (id) => http.post(`/notices/${encodeURIComponent(id)}/read`)
/** Marks all of the caller's notices read; resolves with { marked, unread: 0 }. */
export const markAllRead = () => http.post('/notices/read')

// Workspaces with a demand detail page (<base>/demands/:id).
const DEMAND_PAGES = ['/enterprise', '/clerk', '/handler', '/supervisor']

/**
 * The page a notice is about, as { to, text } for a router-link, or null. This is the one
 * place that reads which record a notice names: its (entity, entity_id), e.g.
 * {"entity": "demand", "entity_id": "12"} (GET /notices). A notice about no record (a
 * 免申即享 run's summary) or about a policy (none is sent today) links nowhere, nor does
 * one whose record has no page in the workspace. base is the workspace ('/enterprise').
 */
export function linkOf(n, base = '/enterprise') {
  const id = n.entity_id
  if (n.entity === 'demand' && id && id !== '0') {
    return DEMAND_PAGES.includes(base) ? { to: `${base}/demands/${id}`, text: '查看诉求' } : null
  }
  if (n.entity === 'grant') {
    return base === '/enterprise' || base === '/officer' ? { to: `${base}/grants`, text: '查看兑现' } : null
  }
  if (n.entity === 'application') {
    if (base === '/enterprise') return { to: `${base}/grants`, text: '查看申请' }
    if (base === '/officer') return { to: `${base}/applications`, text: '查看申请' }
  }
  return null
}
/** Downloads the 通知清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/notices')

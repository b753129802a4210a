// notices.js — the caller's notices (GET /notices, newest first) and where each one leads.
import { pager, exporter } from './http.js'

export const page = pager('/notices')

/**
 * The page a notice is about, as { to, text } for a router-link, or null. This is the one
 * place that reads which record a notice names: its (entity, entity_id), e.g.
 * {"entity": "demand", "entity_id": "12"} (GET /notices). A notice about no record (a
 * 免申即享 run's summary) or about a policy (none is sent today) links nowhere. base is the
 * workspace ('/enterprise').
 */
export function linkOf(n, base = '/enterprise') {
  const id = n.entity_id
  if (n.entity === 'demand' && id && id !== '0') return { to: `${base}/demands/${id}`, text: '查看诉求' }
  if (n.entity === 'grant') return { to: `${base}/grants`, text: '查看兑现' }
  if (n.entity === 'application') return { to: `${base}/grants`, text: '查看申请' }
  return null
}
/** Downloads the 通知清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/notices')

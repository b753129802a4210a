// notices.js — the caller's notices (GET /notices, newest first) and where each one leads.
import { pager } from './http.js'

export const page = pager('/notices')

/**
 * The page a notice is about, as { to, text } for a router-link, or null. This is the one
 * place that reads which record a notice names: the entity-keyed shape
 * ({"entity": "demand", "entity_id": "12"}) and, until the server sends it, the older
 * demand_id / kind fields. base is the workspace ('/enterprise').
 */
export function linkOf(n, base = '/enterprise') {
  let entity = n.entity
  let id = n.entity_id
  if (!entity) {
    const kind = n.kind || ''
    if (n.demand_id && n.demand_id !== '0') [entity, id] = ['demand', n.demand_id]
    else if (kind.startsWith('grant')) entity = 'grant'
    else if (kind.startsWith('application')) entity = 'application'
  }
  if (entity === 'demand' && id && id !== '0') return { to: `${base}/demands/${id}`, text: '查看诉求' }
  if (entity === 'grant') return { to: `${base}/grants`, text: '查看兑现' }
  if (entity === 'application') return { to: `${base}/grants`, text: '查看申请' }
  return null
}

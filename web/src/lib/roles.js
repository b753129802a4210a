// roles.js — the workspace (URL prefix) of each built-in role. Every route of a role lives
// under its base (router/<file>.js) and only that role may open it. The roles themselves,
// their Chinese labels and permissions are data on the server: fetchRoles() (GET /api/v1/roles).
import { api } from './api.js'

export const ROLES = {
  enterprise: { base: '/enterprise', title: '企业服务', file: 'enterprise' },
  clerk: { base: '/clerk', title: '受理台', file: 'clerk' },
  handler: { base: '/handler', title: '承办工作台', file: 'handler' },
  supervisor: { base: '/supervisor', title: '督办中心', file: 'supervisor' },
  policy_officer: { base: '/officer', title: '政策管理', file: 'officer' },
  admin: { base: '/admin', title: '系统管理', file: 'admin' },
}

let cached = null

/** The roles users may be given: [{name, label, permissions, builtin}] ('system' is for API keys). */
export async function fetchRoles() {
  if (!cached) {
    cached = api.get('/roles').then((d) => d.items.filter((r) => r.name !== 'system'))
    cached.catch(() => { cached = null })
  }
  return cached
}

// roles.js — the six roles of DESIGN.md §1 with the URL prefix of each workspace.
// Every route of a role lives under its base (router/<file>.js) and only that role may open it.
export const ROLES = {
  enterprise: { label: '企业用户', base: '/enterprise', title: '企业服务', file: 'enterprise' },
  clerk: { label: '窗口受理人员', base: '/clerk', title: '受理台', file: 'clerk' },
  handler: { label: '承办单位人员', base: '/handler', title: '承办工作台', file: 'handler' },
  supervisor: { label: '督查人员', base: '/supervisor', title: '督办中心', file: 'supervisor' },
  policy_officer: { label: '政策管理人员', base: '/officer', title: '政策管理', file: 'officer' },
  admin: { label: '系统管理员', base: '/admin', title: '系统管理', file: 'admin' },
}

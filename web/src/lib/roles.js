// roles.js — the roles (the six of DESIGN.md §1 and issue 18's catalogue team `catalog`) of DESIGN.md §1 with the URL prefix of each workspace. Their
// Chinese names come from the server (GET /labels, lib/labels.js; GET /me's role_label).
// Every route of a role lives under its base (router/<file>.js) and only that role may open it.
export const ROLES = {
  enterprise: { base: '/enterprise', title: '企业服务', file: 'enterprise' },
  clerk: { base: '/clerk', title: '受理台', file: 'clerk' },
  handler: { base: '/handler', title: '承办工作台', file: 'handler' },
  supervisor: { base: '/supervisor', title: '督办中心', file: 'supervisor' },
  policy_officer: { base: '/officer', title: '政策管理', file: 'officer' },
  admin: { base: '/admin', title: '系统管理', file: 'admin' },
  catalog: { base: '/catalog', title: '事项目录', file: 'catalog' },
}

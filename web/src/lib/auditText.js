// auditText.js — an audit event as a Chinese sentence, from the server's labels (GET /labels)
// and the user list, e.g. "窗口受理人员 张三 受理了诉求 QF2026120800000012":
//
//   import { auditSentence } from '@/lib/auditText.js'
//   auditSentence(row, usersByName, { actionLabel, roleLabel })
//
// row is an item of GET /audit ({actor: "user:clerk", action: "demand.accept", entity,
// id, after}); usersByName maps a username to {display_name, role}. Only names reach the
// page: a code with no name yet ("foo.bar") reads as "执行了操作".
// Names of record types (audit `entity`), not of roles or states: those come from GET /labels.
const ENTITY = new Map([
  ['demand', '诉求'], ['policy', '政策'], ['grant', '政策兑现'], ['application', '政策申报'], ['user', '用户'],
  ['org', '组织'], ['enterprise', '企业档案'], ['apikey', '接口密钥'], ['category', '诉求类别'], ['role', '角色'],
  ['condition', '条件'], ['session', '会话'], ['calendar', '工作日历'],
])

const VERB = {
  create: '创建了', submit: '提交了', update: '修改了', create_published: '创建并发布了', import: '导入了', revoke: '吊销了',
  facts: '更新了事实：', run: '运行了免申即享匹配：', amount: '调整了金额：', partner_add: '添加了协作单位：',
  partner_remove: '移除了协作单位：', set: '设置了', disable: '停用了', enable: '启用了',
  reset_password: '重置了密码：',
}

/** Who did it: "窗口受理人员 张三", "命令行（root）", "接口密钥 12306", "系统". */
export function auditActor(actor, usersByName, roleLabel) {
  const [kind, name = ''] = String(actor || '').split(/:(.*)/s)
  if (kind === 'user') {
    const u = usersByName && usersByName[name]
    if (!u) return `用户 ${name}`
    return `${roleLabel(u.role, u.role_label)} ${u.display_name || name}`
  }
  if (kind === 'cli') return `命令行（${name || '管理员'}）`
  if (kind === 'apikey') return `接口密钥 ${name}`
  return '系统'
}

/** What it was done to: the record's number, title or name from the event, else its id. */
export function objectRef(row) {
  const a = row.after || row.before || {}
  const meta = a.meta || {}
  return a.no || a.title || meta.title || a.name || a.display_name || a.username || ''
}

/** The whole sentence of one audit event. refOf(row) may name the record when the event
 * itself does not (a demand's later steps carry only its id; its submit event has the no). */
export function auditSentence(row, usersByName, { actionLabel, roleLabel, refOf }) {
  const who = auditActor(row.actor, usersByName, roleLabel)
  const [entity, verb = ''] = String(row.action || '').split('.')
  if (row.action === 'session.login') return `${who} 登录了系统`
  if (row.action === 'session.logout') return `${who} 退出了系统`
  if (row.action === 'session.login_failed') return `${who} 登录失败`
  const flowLabel = actionLabel(entity, verb, '')
  const what = ENTITY.get(row.entity) || ENTITY.get(entity) || '记录'
  const done = flowLabel && flowLabel !== verb ? `${flowLabel}了` : VERB[verb] || '执行了操作：'
  const ref = objectRef(row) || (refOf && refOf(row)) || `#${row.id}`
  return `${who} ${done}${what} ${ref}`.trim()
}

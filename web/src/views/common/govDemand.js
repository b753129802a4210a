// govDemand.js — helpers of the government-side demand pages (clerk 受理台, handler 承办,
// supervisor 督办): category names, the organisation tree, urgency/channel labels, and the
// handler inbox loader (red first, then yellow, then green, each by deadline).
import * as categories from '@/api/categories.js'
import * as demands from '@/api/demands.js'
import * as orgs from '@/api/orgs.js'

export const URGENCIES = [
  { value: 'normal', label: '一般' },
  { value: 'urgent', label: '紧急' },
  { value: 'critical', label: '特急' },
]
export const CHANNELS = { web: '网上提交', window: '窗口代录', hotline: '12345 热线', open311: 'Open311', api: '系统对接' }

export function urgencyLabel(u) {
  const x = URGENCIES.find((i) => i.value === u)
  return x ? x.label : u || '—'
}

export function urgencyType(u) {
  return u === 'critical' ? 'danger' : u === 'urgent' ? 'warning' : 'info'
}

let categoriesP = null
/** The category tree of GET /categories (cached for the page's life), and code -> name. */
export function loadCategories() {
  if (!categoriesP) {
    categoriesP = categories.list().then((r) => {
      const tree = (r && r.items) || []
      const names = {}
      const walk = (list) => list.forEach((c) => { names[c.code] = c.name; walk(c.children || []) })
      walk(tree)
      return { tree, names }
    }).catch((e) => { categoriesP = null; throw e })
  }
  return categoriesP
}

/** Category options for el-tree-select ({value,label,children}); inactive ones are left out. */
export function categoryOptions(tree) {
  return tree.filter((c) => c.active !== false).map((c) => ({
    value: c.code, label: c.name, children: categoryOptions(c.children || []),
  }))
}

let orgsP = null
/** Every organisation (GET /orgs) as { list, byCode, tree } for el-tree-select. */
export function loadOrgs() {
  if (!orgsP) {
    orgsP = orgs.all().then((list) => {
      const byCode = {}
      list.forEach((o) => { byCode[o.code] = { value: o.code, label: o.name, kind: o.kind_label, children: [] } })
      const tree = []
      list.forEach((o) => {
        const node = byCode[o.code]
        if (o.parent && byCode[o.parent]) byCode[o.parent].children.push(node)
        else tree.push(node)
      })
      return { list, byCode, tree }
    }).catch((e) => { orgsP = null; throw e })
  }
  return orgsP
}

const LIGHT_ORDER = ['red', 'yellow', 'green']
const dueMs = (row) => (row.due ? Date.parse(row.due) : Number.MAX_SAFE_INTEGER)

/**
 * A PagedTable loader over GET /demands for the demands with a running clock: the red ones
 * first, then yellow, then green (the API's light filter), each page sorted by deadline.
 * The cursor is "<light index>.<API cursor>".
 */
export function lightOrderedLoader(query = {}) {
  return async (cursor, limit) => {
    let li = 0
    let inner = null
    if (cursor) {
      const dot = cursor.indexOf('.')
      li = Number(cursor.slice(0, dot))
      inner = cursor.slice(dot + 1) || null
    }
    const items = []
    while (items.length < limit && li < LIGHT_ORDER.length) {
      const page = await demands.page({ ...query, light: LIGHT_ORDER[li] }, inner, limit - items.length)
      const chunk = page.items.slice().sort((a, b) => dueMs(a) - dueMs(b))
      items.push(...chunk)
      if (page.nextCursor) {
        inner = page.nextCursor
      } else {
        li++
        inner = null
      }
    }
    return { items, nextCursor: li < LIGHT_ORDER.length ? `${li}.${inner || ''}` : null }
  }
}

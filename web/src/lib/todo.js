// todo.js — the caller's to-do counts (GET /me/todo) for the 工作台, the menu's badges and the
// lists' tabs, refreshed after every write (api/http.js onWrite) and on demand.
//
//   import { todo, refreshTodo, countOf, targetOf, menuBadges } from '@/lib/todo.js'
//   todo.items                 -> [{ key, label, count, list: { path, query } }]
//   countOf('sign')            -> 3 (0 when the caller has no such item)
//   targetOf(item, role)       -> { path: '/handler/inbox', query: { tab: 'all', todo: 'sign' } }
//   menuBadges(role)           -> { '/handler/inbox': 3, '/handler/notices': 2 }
//
// Each count is the length of the list GET /me/todo names; TARGETS says which page of each
// workspace shows that list (and which tab/filter there), so the page a count opens shows
// exactly the counted records.
import { reactive } from 'vue'
import * as todoApi from '@/api/todo.js'
import { onWrite } from '@/api/http.js'
import { ROLES } from './roles.js'

export const todo = reactive({ items: [], loaded: false })

// Per workspace (roles.js file) and to-do key: the page (relative to the base) and its query.
const TARGETS = {
  clerk: {
    accept: ['intake', { tab: 'submitted' }],
    dispatch: ['intake', { tab: 'accepted' }],
    review: ['intake', { tab: 'replied' }],
    return: ['intake', { tab: 'return_requested' }],
    overdue: ['intake', { tab: 'all', light: 'red' }],
    due_soon: ['intake', { tab: 'all', light: 'yellow' }],
  },
  handler: {
    sign: ['inbox', { tab: 'all', todo: 'sign' }],
    handling: ['inbox', { tab: 'all', todo: 'handling' }],
    overdue: ['inbox', { tab: 'all', light: 'red' }],
    due_soon: ['inbox', { tab: 'all', light: 'yellow' }],
  },
  supervisor: {
    extension: ['board', { tab: 'extension' }],
    return: ['board', { tab: 'return' }],
    overdue: ['board', { tab: 'red' }],
    due_soon: ['board', { tab: 'yellow' }],
  },
  officer: {
    app_review: ['applications', { state: 'submitted' }],
    grant_notify: ['grants', { state: 'matched' }],
    grant_pay: ['grants', { state: 'confirmed' }],
  },
  enterprise: {
    rate: ['demands', { todo: 'rate' }],
    grant_confirm: ['grants', { tab: 'grants' }],
    app_more_info: ['grants', { tab: 'applications' }],
    policies: ['policies', {}],
  },
}
// Counts that overlap others (a light is a view across states) or are not a step to take
// now (办理中; 可申报政策, an offer that stays until the policy ends): shown on the 工作台, left
// out of the menu's badges.
const NOT_BADGED = ['overdue', 'due_soon', 'handling', 'policies']

/** Where item (a GET /me/todo item) leads in role's workspace, or null. */
export function targetOf(item, role) {
  const r = ROLES[role]
  if (!r) return null
  if (item.key === 'unread') return { path: `${r.base}/notices`, query: { unread: '1' } }
  const t = (TARGETS[r.file] || {})[item.key]
  return t ? { path: `${r.base}/${t[0]}`, query: { ...t[1] } } : null
}

/** The count of to-do key (0 when absent). */
export function countOf(key) {
  const it = todo.items.find((i) => i.key === key)
  return it ? it.count : 0
}

/** The badge of each menu path of role: the sum of the counts whose page it is. */
export function menuBadges(role) {
  const out = {}
  for (const it of todo.items) {
    if (NOT_BADGED.includes(it.key) || !it.count) continue
    const t = targetOf(it, role)
    if (t) out[t.path] = (out[t.path] || 0) + it.count
  }
  return out
}

let inFlight = null
let again = false

/** Reloads the counts (one request at a time; a call during one runs once more after it). */
export async function refreshTodo() {
  if (inFlight) {
    again = true
    return inFlight
  }
  inFlight = (async () => {
    do {
      again = false
      try {
        const r = await todoApi.get()
        todo.items = r.items || []
        todo.loaded = true
      } catch {
        /* The counts are a convenience: a failure leaves the last ones (a 401 goes to login). */
      }
    } while (again)
  })()
  try {
    await inFlight
  } finally {
    inFlight = null
  }
}

/** Forgets the counts (logout). */
export function clearTodo() {
  todo.items = []
  todo.loaded = false
}

// After an action (any successful write but the session's own), the counts change.
onWrite((method, path) => {
  if (path === '/session' || !todo.loaded) return
  refreshTodo()
})

// rules.js — what the condition builder knows of the rule language (docs/internals/rules.md):
// operators per fact type, node kinds, and the fact catalogue / named conditions / codes
// loaded once from the API (GET /facts, GET /conditions, GET /codes/regions|industries).
import { reactive } from 'vue'
import * as codes from '@/api/codes.js'
import * as facts from '@/api/facts.js'

export const OP_LABELS = {
  eq: '等于', ne: '不等于', lt: '小于', le: '不超过（≤）', gt: '大于', ge: '以上（含，≥）',
  between: '介于（含两端）', in: '属于其中之一', not_in: '不属于其中任何一个',
  prefix_in: '属于区域/行业（代码前缀）', has: '具有标签', has_any: '具有其中任一标签',
  has_all: '同时具有这些标签', exists: '有数据', years_since: '距今满（年）',
}

const NUM = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'between', 'in', 'not_in', 'exists']
/** Operators a fact type allows (rules.md §1 table). */
export const OPS_BY_TYPE = {
  int: NUM, money: NUM, decimal: NUM,
  date: ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'between', 'years_since', 'exists'],
  code: ['eq', 'ne', 'in', 'not_in', 'prefix_in', 'exists'],
  bool: ['eq', 'exists'],
  tagset: ['has', 'has_any', 'has_all', 'exists'],
}

export const TYPE_LABELS = { int: '整数', money: '金额', decimal: '小数', date: '日期', code: '代码', bool: '是/否', tagset: '标签' }

export const GROUP_KINDS = [
  { value: 'all', label: '同时满足（全部）' },
  { value: 'any', label: '满足任一' },
  { value: 'at_least', label: '至少满足 K 项' },
  { value: 'not', label: '不满足（取反）' },
]

export const COMPARE_OPS = ['ge', 'gt', 'le', 'lt', 'eq']

/** The node's kind: all, any, not, at_least, ref or leaf. */
export function kindOf(node) {
  if (!node || typeof node !== 'object') return 'leaf'
  for (const k of ['all', 'any', 'at_least', 'not', 'ref']) if (k in node) return k
  return 'leaf'
}

/** Children of a group node and the key they live under ("all", "any", "of"). */
export function childrenOf(node) {
  const k = kindOf(node)
  if (k === 'all' || k === 'any') return { key: k, list: node[k] }
  if (k === 'at_least') return { key: 'of', list: node.of || (node.of = []) }
  return null
}

/** Turns group node into kind (in place), keeping its children. */
export function setGroupKind(node, kind) {
  const from = kindOf(node)
  if (from === kind) return
  let kids = []
  if (from === 'not') kids = [node.not]
  else if (from === 'at_least') kids = node.of || []
  else kids = node[from] || []
  delete node.all; delete node.any; delete node.not; delete node.at_least; delete node.of
  if (kind === 'not') node.not = kids.length === 1 ? kids[0] : { all: kids }
  else if (kind === 'at_least') { node.at_least = Math.min(1, kids.length) || 1; node.of = kids }
  else node[kind] = kids
}

/** A fresh leaf on the first fact of the catalogue. */
export function newLeaf() {
  return { fact: '', op: '', value: null }
}

/** The default value of an operator on a fact type. */
export function defaultValue(type, op) {
  if (op === 'exists') return true
  if (op === 'years_since') return { cmp: 'ge', value: 1 }
  if (op === 'between') return [null, null]
  if (['in', 'not_in', 'prefix_in', 'has_any', 'has_all'].includes(op)) return []
  if (type === 'bool') return null // 是 or 否 is the officer's choice: it starts unset
  return null
}

/**
 * The yes/no (bool) conditions of node whose value is still unset, as
 * [{path, message}] with the paths the server uses ("conditions.all[1]"): such a
 * condition cannot be saved.
 */
export function unsetBools(node, path = 'conditions', out = []) {
  if (!node || typeof node !== 'object') return out
  if (node.not) unsetBools(node.not, `${path}.not`, out)
  for (const k of ['all', 'any', 'of']) {
    if (Array.isArray(node[k])) node[k].forEach((ch, i) => unsetBools(ch, `${path}.${k}[${i}]`, out))
  }
  const fact = node.fact ? factOf(node.fact) : null
  if (fact && fact.type === 'bool' && node.op === 'eq' && !node.manual && typeof node.value !== 'boolean') {
    out.push({ path, message: `请为“${fact.label}”选择“是”或“否”` })
  }
  return out
}

// ---- the catalogue (loaded once per page load) -------------------------------------
export const catalog = reactive({ loaded: false, facts: [], tags: [], named: [], error: '' })
let loading = null

export function loadCatalog() {
  if (!loading) {
    loading = Promise.all([facts.catalog(), facts.conditions()])
      .then(([f, n]) => {
        catalog.facts = f.facts || []
        catalog.tags = f.tags || []
        catalog.named = n.items || []
        catalog.loaded = true
      })
      .catch((e) => {
        catalog.error = e.message
        loading = null
      })
  }
  return loading
}

export function factOf(name) {
  return catalog.facts.find((f) => f.name === name) || null
}

export function tagLabel(code) {
  const t = catalog.tags.find((x) => x.code === code)
  return t ? t.label : code
}

/** Chinese names of a few code values the catalogue lists without names. */
export const CODE_VALUE_LABELS = {
  scale: { large: '大型', medium: '中型', small: '小型', micro: '微型' },
  tax_credit_rating: { A: 'A级', B: 'B级', M: 'M级', C: 'C级', D: 'D级' },
}

export function codeValueLabel(fact, v) {
  const m = CODE_VALUE_LABELS[fact]
  return (m && m[v]) || v
}

// ---- GB/T 2260 regions and GB/T 4754 industries: children lists and names ------------
const childCache = { region: new Map(), industry: new Map() }

/** Children of parent ('' = top level) as [{code, name, level}]. */
export async function codeChildren(kind, parent) {
  const m = childCache[kind]
  const key = parent || ''
  if (!m.has(key)) {
    const p = kind === 'region' ? codes.regions(parent) : codes.industries(parent)
    m.set(key, p)
    p.catch(() => m.delete(key))
  }
  return m.get(key)
}

/** Region prefix (2/4/6 digits) → the six-digit code of its division. */
export function regionCodeOf(prefix) {
  return String(prefix).padEnd(6, '0')
}

/** The six-digit code of a region item → the prefix its level means. */
export function regionPrefixOf(item) {
  return item.level === 1 ? item.code.slice(0, 2) : item.level === 2 ? item.code.slice(0, 4) : item.code
}

/** The Chinese name of a region prefix or an industry code (resolved through the lists). */
export async function codeName(kind, code) {
  if (!code) return ''
  try {
    if (kind === 'region') {
      const c6 = regionCodeOf(code)
      const parents = [''] // province
      if (code.length >= 4) parents.push(`${code.slice(0, 2)}0000`)
      if (code.length >= 6) parents.push(`${code.slice(0, 4)}00`)
      const names = []
      for (let i = 0; i < parents.length; i++) {
        const list = await codeChildren('region', parents[i])
        const want = i === 0 ? `${code.slice(0, 2)}0000` : i === 1 ? `${code.slice(0, 4)}00` : c6
        const hit = list.find((x) => x.code === want)
        if (!hit) return code
        names.push(hit.name)
      }
      return names.join('')
    }
    // industry: a section letter, or 2/3/4 digits under a section
    const top = await codeChildren('industry', '')
    if (/^[A-Z]$/.test(code)) return (top.find((x) => x.code === code) || {}).name || code
    for (const sec of top) {
      const divs = await codeChildren('industry', sec.code)
      const d = divs.find((x) => code.startsWith(x.code))
      if (!d) continue
      if (code.length === 2) return d.name
      const groups = await codeChildren('industry', d.code)
      const g = groups.find((x) => code.startsWith(x.code))
      if (!g) return code
      if (code.length === 3) return g.name
      const classes = await codeChildren('industry', g.code)
      const c = classes.find((x) => x.code === code)
      return c ? c.name : code
    }
    return code
  } catch {
    return code
  }
}

/** Fen → 万元 number for an input (null stays null). */
export function fenToWan(fen) {
  return fen === null || fen === undefined || fen === '' ? null : Number(fen) / 1000000
}
/** 万元 from an input → integer fen. */
export function wanToFen(wan) {
  return wan === null || wan === undefined || wan === '' ? null : Math.round(Number(wan) * 1000000)
}

/** The error message (if any) a node at path owns, from the server's field errors. */
export function errorAt(errors, path, leaf) {
  if (!errors) return ''
  for (const [k, v] of Object.entries(errors)) {
    if (!v) continue
    const p = k.replace(/^rules\./, '')
    if (p === path) return v
    if (!p.startsWith(path)) continue
    const rest = p.slice(path.length)
    if (leaf && (rest.startsWith('.') || rest.startsWith('['))) return v
    if (!leaf && /^\.(at_least|all|any|of|label)$/.test(rest)) return v
    if (!leaf && rest.startsWith('.ref(')) return v
  }
  return ''
}

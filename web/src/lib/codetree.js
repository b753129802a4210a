// codetree.js — the GB/T 2260 region tree and the GB/T 4754 industry tree for cascaders,
// with each name's pinyin initials for search:
//
//   const tree = await loadCodeTree('region')   // [{value, label, code, level, initials, children?}]
//   matchCode(node.data, '蜀山') / matchCode(node.data, 'ssq') / matchCode(node.data, '3401')
//   nameOfCode(tree, '340104')                  // '安徽省 / 合肥市 / 蜀山区'
//
// The tree comes once per page load from GET /codes/{regions,industries}/tree (cached by the
// browser for a day). The initials come from initials.json, generated at build time by
// scripts/gen_initials.mjs (pinyin-pro over the generated code tables; `make initials`),
// imported only when a cascader first loads its tree: ~26 KB gzip, where pinyin-pro's
// dictionary in the browser would be 142 KB; never on the login page.
import * as codes from '@/api/codes.js'

const trees = {}

/** The tree of kind ('region' | 'industry'), loaded once; rejects with the ApiError. */
export function loadCodeTree(kind) {
  if (!trees[kind]) {
    trees[kind] = Promise.all([
      kind === 'region' ? codes.regionTree() : codes.industryTree(),
      import('./initials.json'),
    ]).then(([items, initials]) => build(items, 1, (initials.default || initials)[kind] || {}))
    trees[kind].catch(() => delete trees[kind])
  }
  return trees[kind]
}

function build(items, level, initials) {
  return items.map((it) => {
    const node = {
      value: it.code,
      label: it.name,
      code: it.code,
      level,
      initials: initials[it.code] || '',
    }
    if (it.children && it.children.length) node.children = build(it.children, level + 1, initials)
    return node
  })
}

/** True when keyword finds data: a part of its name, the start of its pinyin initials
 * (蜀山区 → ssq), or the start of its code. */
export function matchCode(data, keyword) {
  const k = String(keyword || '').trim().toLowerCase()
  if (!k) return true
  if (data.label.includes(keyword.trim())) return true
  if (/^[a-z]+$/.test(k)) return data.initials.startsWith(k) || data.initials.includes(k)
  if (/^[0-9a-t]+$/i.test(k)) return data.code.toLowerCase().startsWith(k)
  return false
}

/** The path of names to a code ('安徽省 / 合肥市 / 蜀山区'), or '' when the tree lacks it. */
export function nameOfCode(tree, code, sep = ' / ') {
  const path = findPath(tree, String(code || ''))
  return path ? path.map((n) => n.label).join(sep) : ''
}

/** The nodes from the top down to the node whose value is code, or null. */
export function findPath(tree, code) {
  for (const n of tree || []) {
    if (n.value === code) return [n]
    if (n.children) {
      const sub = findPath(n.children, code)
      if (sub) return [n, ...sub]
    }
  }
  return null
}

/** A region's six-digit code → the prefix its level means (34, 3401, 340104). */
export function regionPrefix(node) {
  return node.level === 1 ? node.code.slice(0, 2) : node.level === 2 ? node.code.slice(0, 4) : node.code
}

/** A copy of a region tree whose values are prefixes (policy scopes store 34 / 3408 / 340822). */
export function withPrefixValues(tree) {
  return tree.map((n) => ({ ...n, value: regionPrefix(n), children: n.children && withPrefixValues(n.children) }))
}

// guideDiff.js — the field-level difference of two guide versions: every leaf path whose
// value differs (added, removed or changed), in document order. Rows of lists are matched
// by their id when they have one (materials, situations), else by position. No imports.
function keyOf(row, i) {
  return row && typeof row === 'object' && !Array.isArray(row) && typeof row.id === 'string' ? `[${row.id}]` : `[${i}]`
}

function flatten(v, path, out) {
  if (Array.isArray(v)) {
    if (!v.length) out.set(path, '[]')
    v.forEach((x, i) => flatten(x, path + keyOf(x, i), out))
  } else if (v && typeof v === 'object') {
    const keys = Object.keys(v)
    if (!keys.length) out.set(path, '{}')
    for (const k of keys) flatten(v[k], path ? `${path}.${k}` : k, out)
  } else {
    out.set(path, v === undefined ? null : v)
  }
  return out
}

/** [{ path, kind: 'added' | 'removed' | 'changed', from, to }] from guide a to guide b. */
export function guideDiff(a, b) {
  const fa = flatten(a || {}, '', new Map())
  const fb = flatten(b || {}, '', new Map())
  const out = []
  for (const [p, v] of fa) {
    if (!fb.has(p)) out.push({ path: p, kind: 'removed', from: v, to: null })
    else if (JSON.stringify(fb.get(p)) !== JSON.stringify(v)) out.push({ path: p, kind: 'changed', from: v, to: fb.get(p) })
  }
  for (const [p, v] of fb) if (!fa.has(p)) out.push({ path: p, kind: 'added', from: null, to: v })
  return out
}

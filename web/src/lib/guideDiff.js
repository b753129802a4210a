// guideDiff.js — the field-level difference of two guide versions: every leaf path whose
// value differs (added, removed or changed), in document order. Rows of lists are matched
// by their id when they have one (materials, situations), else by position. An empty value
// (null, '', an empty list or object) reads as absent: a reader sees no change between an
// empty 备注 and none. No imports.
function keyOf(row, i) {
  return row && typeof row === 'object' && !Array.isArray(row) && typeof row.id === 'string' ? `[${row.id}]` : `[${i}]`
}

function flatten(v, path, out) {
  if (Array.isArray(v)) {
    v.forEach((x, i) => flatten(x, path + keyOf(x, i), out))
  } else if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) flatten(v[k], path ? `${path}.${k}` : k, out)
  } else if (v !== null && v !== undefined && v !== '') {
    out.set(path, v)
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

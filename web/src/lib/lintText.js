// lintText.js — a guide lint answer (GET /service-items/{id}/versions/{v}/lint) in one shape:
// { ok, errors, warnings, findings: [{ rule, level: 'error' | 'warning', path, message }] }.
// "error" findings refuse publishing, "warning" ones only flag (issue 18 item 5). No imports.
export function lintSummary(answer) {
  const a = answer || {}
  const list = a.findings || a.items || a.issues || (Array.isArray(a) ? a : [])
  const findings = list.map((f) => ({
    rule: f.rule || f.code || '',
    level: (f.severity || f.level) === 'warning' ? 'warning' : 'error',
    path: f.path || f.field || '',
    message: f.message || f.text || f.rule || '',
  }))
  const errors = findings.filter((f) => f.level === 'error').length
  return { ok: a.ok ?? errors === 0, errors, warnings: findings.length - errors, findings }
}

/** The versions of a GET .../versions answer, newest first. */
export function versionList(v) {
  const list = (v && (v.items || v.versions)) || (Array.isArray(v) ? v : [])
  return [...list].sort((a, b) => Number(b.version) - Number(a.version))
}

/** The newest version of a GET .../versions answer (null when none). */
export const latestOf = (v) => versionList(v)[0] || null

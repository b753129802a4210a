// quality.js — rows of the guide-quality board (GET /catalog/quality: items [{ dept, guides,
// clean, findings, errors, warnings, by_rule: { rule: n }, score (0–100) }]) in one shape for
// the pages: { dept, score, items, flagged, defects: [{ rule, count }] }, lowest score first.
// No imports.
export function qualityRows(answer) {
  const list = Array.isArray(answer) ? answer : (answer && (answer.items || answer.departments)) || []
  return list.map((r) => {
    const score = Number(r.score ?? 0)
    const d = r.by_rule || r.defects || {}
    const defects = Array.isArray(d)
      ? d.map((x) => ({ rule: x.rule, label: x.label || x.message || x.rule, count: x.count ?? x.n ?? 0 }))
      : Object.entries(d).map(([rule, v]) => ({ rule, label: (v && v.label) || rule, count: typeof v === 'object' ? v.count : v }))
    return {
      dept: r.dept || r.department || r.name || r.competent_dept || '—',
      score: Math.round(score * 10) / 10,
      items: r.guides ?? r.items ?? 0,
      flagged: r.clean !== undefined && r.guides !== undefined ? r.guides - r.clean : null,
      errors: r.errors ?? 0,
      warnings: r.warnings ?? 0,
      defects,
    }
  }).sort((a, b) => a.score - b.score || (a.dept < b.dept ? -1 : a.dept > b.dept ? 1 : 0))
}

// quality.js — rows of the guide-quality board (GET /catalog/quality) in one shape for the
// pages: { dept, score (0–100), items, defects: [{ rule, label, count }] }, lowest score first.
// No imports.
export function qualityRows(answer) {
  const list = Array.isArray(answer) ? answer : (answer && (answer.items || answer.departments)) || []
  return list.map((r) => {
    let score = Number(r.score ?? r.quality ?? 0)
    if (score <= 1 && score > 0 && !Number.isInteger(score)) score = score * 100
    const d = r.defects || r.findings || {}
    const defects = Array.isArray(d)
      ? d.map((x) => ({ rule: x.rule, label: x.label || x.message || x.rule, count: x.count ?? x.n ?? 0 }))
      : Object.entries(d).map(([rule, v]) => ({ rule, label: (v && v.label) || rule, count: typeof v === 'object' ? v.count : v }))
    return {
      dept: r.dept || r.department || r.name || r.competent_dept || '—',
      score: Math.round(score * 10) / 10,
      items: r.items ?? r.count ?? r.total ?? 0,
      flagged: r.flagged ?? r.with_defects ?? null,
      defects,
    }
  }).sort((a, b) => a.score - b.score || a.dept.localeCompare(b.dept))
}

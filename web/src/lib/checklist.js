// checklist.js — shared by the 情形 panel of a guide page and the printable 一次性告知单:
// the Chinese names of a material's source and form, and the answers carried in a URL.
// Free of imports (tests may run it under node).

export const SOURCE_LABELS = {
  applicant: '申请人自备',
  license: '电子证照',
  department: '部门核发',
  intermediary: '中介机构',
  system: '系统生成',
}
export const FORM_LABELS = { paper: '纸质', electronic: '电子', paper_or_electronic: '纸质或电子' }
export const NECESSITY_LABELS = { required: '必需', optional: '非必需', waived: '免提交' }

/** The answer of a question as a person reads it (是/否, 200平方米, the option's label). */
export function answerText(q, v) {
  if (v === undefined || v === null) return '未回答'
  if (q.type === 'bool') return v ? '是' : '否'
  if (q.type === 'int') return `${v}${q.unit || ''}`
  const o = (q.options || []).find((x) => x.value === v)
  return o ? o.label : String(v)
}

/** Answers → the query of the 告知单's URL ({ a: JSON, e: '1' }). */
export function toQuery(answers, useEnterprise) {
  const q = { a: JSON.stringify(answers || {}) }
  if (useEnterprise) q.e = '1'
  return q
}

/** The query of the 告知单's URL → { answers, useEnterprise } (bad text → no answers). */
export function fromQuery(query) {
  let answers = {}
  try {
    const v = JSON.parse(query.a || '{}')
    if (v && typeof v === 'object' && !Array.isArray(v)) answers = v
  } catch {
    answers = {}
  }
  return { answers, useEnterprise: query.e === '1' }
}

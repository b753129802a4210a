// policyText.js — how the public and enterprise pages write policies for people:
// delivery modes, outcomes, the amount formula in Chinese, fact values, and the fact
// catalogue (GET /facts, loaded once per page load and shared).
import * as facts from '@/api/facts.js'
import { fmtWan, fmtMoney, EMPTY } from '@/lib/format.js'

export const DELIVERY = {
  mian_shen: { label: '免申即享', type: 'success', hint: '无需申请，符合条件直接兑现' },
  ji_shen: { label: '即申即享', type: 'primary', hint: '在线申请，数据核验通过即时兑现' },
  shen_bao: { label: '申报审批', type: 'warning', hint: '提交申报，由主管部门审核' },
}

export const OUTCOMES = {
  eligible: { label: '可享受', type: 'success', icon: '✓' },
  possibly_eligible: { label: '可能符合（缺少信息）', type: 'warning', icon: '?' },
  manual_review: { label: '需人工审核', type: 'primary', icon: '…' },
  ineligible: { label: '不符合', type: 'info', icon: '✗' },
}
export const OUTCOME_ORDER = ['eligible', 'possibly_eligible', 'manual_review', 'ineligible']

export const FACT_STATUS = {
  authoritative: { label: '权威', type: 'success' },
  self_declared: { label: '自报', type: 'warning' },
}

let catalogPromise = null
/** The fact catalogue { facts: [...], tags: [...], byName, tagLabel(code) }. */
export function loadCatalog() {
  if (!catalogPromise) {
    catalogPromise = facts.catalog().then((c) => {
      const byName = Object.fromEntries(c.facts.map((f) => [f.name, f]))
      const tags = Object.fromEntries(c.tags.map((t) => [t.code, t.label]))
      return { ...c, byName, tagLabel: (code) => tags[code] || code }
    })
    catalogPromise.catch(() => (catalogPromise = null))
  }
  return catalogPromise
}

const SCALE = { large: '大型', medium: '中型', small: '小型', micro: '微型' }

/** A fact value as people read it (money in fen → 万元, bools 是/否, tags by label). */
export function factText(def, value, catalog) {
  if (value === null || value === undefined || value === '') return EMPTY
  const type = def ? def.type : typeof value
  if (type === 'money') return fmtWan(value)
  if (type === 'bool') return value === true || value === 'true' ? '是' : '否'
  if (type === 'tagset') {
    const arr = Array.isArray(value) ? value : String(value).split(';')
    return arr.length ? arr.map((t) => (catalog ? catalog.tagLabel(t) : t)).join('、') : '无'
  }
  if (def && def.name === 'scale') return SCALE[value] || value
  const unit = def && def.unit ? def.unit : ''
  return `${value}${unit}`
}

function pct(rate) {
  const n = Number(rate) * 100
  return `${Number(n.toPrecision(10))}%`
}

/** The amount rule of a policy in Chinese ("按研发费用的 10% 计算，最高 100.00万元"). */
export function amountText(amount, catalog) {
  if (!amount) return '非资金类支持（以政策原文为准）'
  const label = (name) => (catalog && catalog.byName[name] ? catalog.byName[name].label : name)
  const one = (a) => {
    if (!a) return '无'
    if (a.fixed !== undefined) return `定额 ${fmtWan(a.fixed)}`
    if (a.tiers) {
      const parts = a.tiers.map((t) => `${(t.when && t.when.label) || '满足条件'}：${one(t.amount)}`)
      if (a.else) parts.push(`其他：${one(a.else)}`)
      return parts.join('；')
    }
    if (a.rate !== undefined) {
      const def = catalog && catalog.byName[a.base]
      let s
      if (def && def.type === 'money') s = `按${label(a.base)}的 ${pct(a.rate)} 计算`
      else s = `按${label(a.base)}每${(def && def.unit) || '单位'} ${fmtMoney(Number(a.rate))} 计算`
      const lims = []
      if (a.floor !== undefined) lims.push(`最低 ${fmtWan(a.floor)}`)
      if (a.min !== undefined) lims.push(`最低 ${fmtWan(a.min)}`)
      if (a.cap !== undefined) lims.push(`最高 ${fmtWan(a.cap)}`)
      if (a.max !== undefined) lims.push(`最高 ${fmtWan(a.max)}`)
      return lims.length ? `${s}，${lims.join('，')}` : s
    }
    return '以政策原文为准'
  }
  return one(amount)
}

/** The estimated amount of a match row. */
export function matchAmount(item) {
  if (item.outcome === 'ineligible') return ''
  if (item.amount_fen !== null && item.amount_fen !== undefined) {
    if (item.excluded_by) return '就高不重复，不另享受'
    return fmtWan(item.amount_fen)
  }
  if (item.amount_state === 'none') return '非资金类'
  return '金额待核定'
}

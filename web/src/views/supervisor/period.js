// period.js — the periods of the supervisor's statistics pages: presets (本月, 本季度, 本年),
// a calendar month, and the drill-down URL of a statistics row.
import { today } from '@/lib/format.js'

const pad = (n) => String(n).padStart(2, '0')
const lastDay = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate() // m is 1-based

/** [from, to] of 'month', 'quarter' or 'year' up to today. */
export function presetRange(kind) {
  const t = today()
  const y = Number(t.slice(0, 4))
  const m = Number(t.slice(5, 7))
  if (kind === 'year') return [`${y}-01-01`, t]
  if (kind === 'quarter') return [`${y}-${pad(m - ((m - 1) % 3))}-01`, t]
  return [`${y}-${pad(m)}-01`, t]
}

/** [from, to] of the month 'YYYY-MM' (whole month). */
export function monthRange(month) {
  const y = Number(month.slice(0, 4))
  const m = Number(month.slice(5, 7))
  return [`${y}-${pad(m)}-01`, `${y}-${pad(m)}-${pad(lastDay(y, m))}`]
}

/** The month before today's, 'YYYY-MM' (a monthly report is of a finished month). */
export function lastMonth() {
  const t = today()
  let y = Number(t.slice(0, 4))
  let m = Number(t.slice(5, 7)) - 1
  if (m === 0) { m = 12; y-- }
  return `${y}-${pad(m)}`
}

/** A period from the route's query (?from=&to=), else the preset. */
export function periodOf(query, kind = 'month') {
  const ok = (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)
  return ok(query.from) && ok(query.to) ? [query.from, query.to] : presetRange(kind)
}

/**
 * The route of the demands behind a statistics row: the demands last dispatched in
 * [from, to] (the statistics' cohort), with filter ({ lead_org, category, channel, region })
 * and title (what the list says it shows).
 */
export function drillRoute(period, filter, title) {
  return {
    path: '/supervisor/demands',
    query: { dispatched_from: period[0], dispatched_to: period[1], ...filter, title },
  }
}

// format.js — how the UI writes dates, money and lights (zh-CN, Asia/Shanghai); the names of
// states come from the server (lib/labels.js), only their tag colours are here.
//
//   fmtDate('2026-11-23T06:05:00Z')      -> '2026-11-23'
//   fmtDateTime('2026-11-23T06:05:00Z')  -> '2026-11-23 14:05'
//   fmtMoney(123456)                     -> '¥1,234.56'   (the API's money is in fen)
//   fmtWan(123456789)                    -> '123.46万元'   (officials' unit for policy and grant amounts)
//   wanValue(123456789)                  -> 123.46        (a number of 万元: charts, statistics)
//   fenToYuanText(123456)                -> '1234.56'     (the text of a yuan input)
//   fmtFileSize(1536)                    -> '1.5 KB'
//   fmtPercent(0.8765)                   -> '87.7%'
//   lightInfo('red')                     -> { label: '红灯', type: 'danger' }   (see LightTag.vue)
//   stateType('archived')                -> 'success'   (the tag colour of a demand state)
// Empty input (null, undefined, '') gives '—'.

export const EMPTY = '—'
const TZ = 'Asia/Shanghai'

const dateParts = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

/** Date of v (RFC 3339 text, epoch ms, Date, or a plain 'YYYY-MM-DD') or null. */
function toDate(v) {
  if (v === null || v === undefined || v === '') return null
  if (v instanceof Date) return isNaN(v) ? null : v
  if (typeof v === 'number') return new Date(v)
  const d = new Date(v)
  return isNaN(d) ? null : d
}

function parts(d) {
  const o = {}
  for (const p of dateParts.formatToParts(d)) o[p.type] = p.value
  return o
}

/** 'YYYY-MM-DD' in Beijing time; a date-only 'YYYY-MM-DD' is returned as it is. */
export function fmtDate(v) {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return v
  const d = toDate(v)
  if (!d) return EMPTY
  const p = parts(d)
  return `${p.year}-${p.month}-${p.day}`
}

/** 'YYYY-MM-DD HH:mm' in Beijing time. */
export function fmtDateTime(v) {
  const d = toDate(v)
  if (!d) return EMPTY
  const p = parts(d)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** Today in Beijing as 'YYYY-MM-DD'. */
export function today() {
  return fmtDate(new Date())
}

const yuan = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** Money in fen as '¥1,234.56' ('-¥5.00' when negative). */
export function fmtMoney(fen) {
  if (fen === null || fen === undefined || fen === '') return EMPTY
  const n = Number(fen)
  if (!Number.isFinite(n)) return EMPTY
  return `${n < 0 ? '-' : ''}¥${yuan.format(Math.abs(n) / 100)}`
}

/** Money in fen as 万元 with two decimals: 123456789 -> '123.46万元'. */
export function fmtWan(fen) {
  if (fen === null || fen === undefined || fen === '') return EMPTY
  const n = Number(fen)
  if (!Number.isFinite(n)) return EMPTY
  return `${yuan.format(n / 1000000)}万元`
}

/** Money in fen as a number of 万元 rounded to two decimals (charts, el-statistic); null → 0. */
export function wanValue(fen) {
  const n = Number(fen || 0)
  return Number.isFinite(n) ? Math.round(n / 10000) / 100 : 0
}

/** Money in fen as the plain yuan text of an input: 123456 -> '1234.56' ('' when empty). */
export function fenToYuanText(fen) {
  if (fen === null || fen === undefined || fen === '') return ''
  const n = Number(fen)
  return Number.isFinite(n) ? (n / 100).toFixed(2) : ''
}

/** A file size in bytes: '512 B', '1.5 KB', '2.0 MB'. */
export function fmtFileSize(n) {
  if (n === null || n === undefined || n === '' || !Number.isFinite(Number(n))) return EMPTY
  n = Number(n)
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** Yuan typed by a user ('1,234.5') to fen (123450), or null when it is not an amount. */
export function yuanToFen(text) {
  if (text === null || text === undefined) return null
  const s = String(text).replace(/[,，¥\s]/g, '')
  if (!/^-?\d+(\.\d{1,2})?$/.test(s)) return null
  return Math.round(Number(s) * 100)
}

/** A whole number with separators: 12345 -> '12,345'. */
export function fmtNumber(n) {
  if (n === null || n === undefined || n === '') return EMPTY
  return new Intl.NumberFormat('zh-CN').format(Number(n))
}

/** A ratio 0..1 as a percentage with one decimal: 0.8765 -> '87.7%'. */
export function fmtPercent(r, digits = 1) {
  if (r === null || r === undefined || r === '' || !Number.isFinite(Number(r))) return EMPTY
  // toPrecision first: 0.8765 * 100 is 87.64999…, which toFixed would round down.
  const pct = Number((Number(r) * 100).toPrecision(12))
  return `${(Math.round(pct * 10 ** digits) / 10 ** digits).toFixed(digits)}%`
}

/** The traffic light of a running deadline (API values red/yellow/green). */
export const LIGHTS = {
  red: { label: '红灯', type: 'danger', hint: '已超期' },
  yellow: { label: '黄灯', type: 'warning', hint: '临近期限' },
  green: { label: '绿灯', type: 'success', hint: '办理期限内' },
}

export function lightInfo(light) {
  return LIGHTS[light] || { label: '无时限', type: 'info', hint: '未计时' }
}

/** Element Plus tag type for a demand state. */
export function stateType(state) {
  if (['archived', 'rated', 'answered_directly'].includes(state)) return 'success'
  if (['declined', 'merged'].includes(state)) return 'info'
  if (['return_requested', 'extension_requested', 'rectifying', 'reopened'].includes(state)) return 'warning'
  return 'primary'
}

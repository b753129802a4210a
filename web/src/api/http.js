// http.js — the one core under the API client modules of web/src/api/ (DESIGN.md §8).
// Views never call it with a path: they import the module of a resource, e.g.
//
//   import * as demands from '@/api/demands.js'
//   const d = await demands.get(id)                          // GET /api/v1/demands/{id}
//   await demands.act(id, 'sign')                            // POST /api/v1/demands/{id}/actions
//   <PagedTable :source="demands.page" :query="{ state: 'submitted' }" />
//
// What this file does for every module:
// - Paths are relative to /api/v1 unless they start with "/api/", "/open311/" etc. given
//   in full; url(path, query) is the full URL (links such as attachment and CSV downloads).
// - The browser session is the HttpOnly cookie `qifu_session` set by POST /session; the
//   token is never stored by the UI. Writes carry the session's CSRF token in the
//   X-CSRF-Token header; the token lives in memory only and GET /me hands it back after a
//   reload. A 403 "csrf" (another tab logged in again) refreshes it and retries once.
// - A non-2xx answer throws ApiError {status, code, message, field}; message is the
//   server's Chinese text (or a Chinese text for the status) and field the request field it
//   names, which lib/form.js shows next to that field. A 401 also calls the handler set by
//   onUnauthorized() (the router sends the user to the login page) unless the call passed
//   { quiet401: true }.
// - A network failure throws ApiError with status 0 and code "network".
// - page()/all() read the cursor-paged lists ({"items": [...], "next_cursor": ...}).
// - download(path, query, filename) saves a CSV/xlsx answer as a file.
// tests/web/api_modules.test.mjs checks that no file outside web/src/api/ names /api/v1
// or calls this core with a path.

const BASE = '/api/v1'

let csrfToken = null
let unauthorizedHandler = null
let writeHandler = null

/** An error answer of the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor({ status, code, message, field = null, line = null, column = null, retryAfter = null }) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
    this.line = line
    this.column = column
    this.retryAfter = retryAfter
  }
}

/** Sets the CSRF token of the current session (null after logout). */
export function setCsrfToken(token) {
  csrfToken = token || null
}

/** Sets fn(error) to run when a call is answered 401 (session missing or expired). */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn
}

/** Sets fn(method, path) to run after every successful write (POST/PUT/PATCH/DELETE): the
 *  to-do counts (lib/todo.js) refresh after an action. */
export function onWrite(fn) {
  writeHandler = fn
}

/** The full URL of an API path with its query (undefined/null/'' values are left out). */
export function url(path, query) {
  const full = /^\/(api|open311|healthz|readyz|metrics)(\/|$)/.test(path) ? path : BASE + path
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => qs.append(k, String(x)))
    else qs.append(k, String(v))
  }
  const s = qs.toString()
  return s ? `${full}?${s}` : full
}

/** A fresh Idempotency-Key (32 hex digits); keep one per form so a retry reuses it. */
export function newIdempotencyKey() {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

const STATUS_TEXT = {
  400: '请求参数不正确',
  401: '请先登录',
  403: '无权执行此操作',
  404: '资源不存在',
  409: '数据冲突，请刷新后重试',
  413: '请求内容过大',
  429: '操作过于频繁，请稍后再试',
  500: '服务器内部错误',
  503: '服务暂不可用，请稍后重试',
}

/**
 * Sends one request. opts: { body, query, headers, idempotencyKey, signal, quiet401, raw }.
 * body: a plain object (sent as JSON), or a Blob/File/FormData/string sent as is
 * (set headers['Content-Type'] yourself). raw: resolve with the fetch Response of a 2xx
 * answer instead of parsing JSON (downloads). Resolves with the parsed JSON, or null
 * for 204.
 */
export async function request(method, path, opts = {}) {
  const res = await send(method, path, opts)
  if (res.status === 403 && method !== 'GET' && method !== 'HEAD' && !opts._retried) {
    // A stale CSRF token (a login in another tab replaced the session): refresh, retry once.
    const err = await errorOf(res.clone())
    if (err.code === 'csrf') {
      await refreshCsrf()
      return request(method, path, { ...opts, _retried: true })
    }
  }
  if (!res.ok) {
    const err = await errorOf(res)
    if (err.status === 401 && unauthorizedHandler && !opts.quiet401) unauthorizedHandler(err)
    throw err
  }
  if (writeHandler && method !== 'GET' && method !== 'HEAD') writeHandler(method, path)
  if (opts.raw) return res
  if (res.status === 204) return null
  const ct = res.headers.get('Content-Type') || ''
  if (!ct.includes('application/json')) return res.text()
  return res.json()
}

async function send(method, path, opts) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) }
  let body = opts.body
  if (body !== undefined && body !== null && !(body instanceof Blob) && !(body instanceof FormData) &&
      typeof body !== 'string') {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(body)
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey
  try {
    return await fetch(url(path, opts.query), {
      method,
      headers,
      body: body === undefined ? undefined : body,
      credentials: 'same-origin',
      signal: opts.signal,
    })
  } catch (e) {
    if (e && e.name === 'AbortError') throw e
    throw new ApiError({ status: 0, code: 'network', message: '网络连接失败，请检查网络后重试' })
  }
}

async function errorOf(res) {
  let body = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  const e = (body && body.error) || {}
  return new ApiError({
    status: res.status,
    code: e.code || `http_${res.status}`,
    message: e.message || STATUS_TEXT[res.status] || `请求失败（${res.status}）`,
    field: e.field || null,
    line: e.line || null,
    column: e.column || null,
    retryAfter: res.headers.get('Retry-After'),
  })
}

async function refreshCsrf() {
  const res = await send('GET', '/me', {})
  if (res.ok) setCsrfToken((await res.json()).csrf_token)
}

/** Shorthands: http.get(path, query, opts), http.post(path, body, opts), put, patch, del. */
export const http = {
  get: (path, query, opts = {}) => request('GET', path, { ...opts, query }),
  post: (path, body, opts = {}) => request('POST', path, { ...opts, body }),
  put: (path, body, opts = {}) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts = {}) => request('PATCH', path, { ...opts, body }),
  del: (path, opts = {}) => request('DELETE', path, opts),
}

/**
 * One page of a list endpoint ({"items": [...], "next_cursor": ...}). cursor is the
 * previous page's nextCursor (null for the first page). Resolves with
 * { items, nextCursor, raw } where nextCursor is null on the last page.
 */
export async function page(path, query = {}, cursor = null, limit = 20, opts = {}) {
  const raw = await http.get(path, { ...query, limit, cursor: cursor || undefined }, opts)
  return { items: (raw && raw.items) || [], nextCursor: (raw && raw.next_cursor) || null, raw }
}

/** Every item of a list, page by page (at most max items; for short lists such as organisations). */
export async function all(path, query = {}, max = 2000) {
  const out = []
  let cursor = null
  do {
    const p = await page(path, query, cursor, Math.min(500, max - out.length))
    out.push(...p.items)
    cursor = p.nextCursor
  } while (cursor && out.length < max)
  return out
}

/** A pager over one list path: pager('/demands') is (query, cursor, limit) -> page(...). */
export const pager = (path) => (query = {}, cursor = null, limit = 20) => page(path, query, cursor, limit)

/**
 * Downloads a file answer (CSV, xlsx) of path with query and saves it as filename (or the
 * name the server's Content-Disposition gives). Errors throw ApiError like any call.
 */
export async function download(path, query, filename) {
  const res = await request('GET', path, { query, raw: true, headers: { Accept: '*/*' } })
  const blob = await res.blob()
  const cd = res.headers.get('Content-Disposition') || ''
  // RFC 5987's filename*= (the Chinese name) wins over the plain ASCII filename=.
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="?([^";]+)"?/i.exec(cd)
  const name = filename || (m ? decodeURIComponent(m[1]) : 'download')
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}

/**
 * The Excel export of a list or statistics path: exporter('/demands')(query) downloads
 * GET /demands?...&format=xlsx — every row under the same filters as the screen, Chinese
 * headers (docs/internals/api.md "Excel"). Paging parameters of the screen are dropped.
 */
export const exporter = (path) => (query = {}) => {
  const { limit, cursor, ...rest } = query || {}
  void limit
  void cursor
  return download(path, { ...rest, format: 'xlsx' })
}

/**
 * Uploads an import file (CSV or .xlsx) to path with query (dry_run, skip_invalid) and
 * resolves with the server's report; a refused file (422) throws an ApiError whose
 * report member holds the same report.
 */
export async function upload(path, file, query = {}) {
  const xlsx = /\.xlsx$/i.test(file.name || '')
  const type = xlsx ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv'
  const res = await send('POST', path, { query, body: file, headers: { 'Content-Type': type } })
  const body = await res.json().catch(() => null)
  if (res.ok) return body
  const e = (body && body.error) || {}
  const err = new ApiError({
    status: res.status,
    code: e.code || `http_${res.status}`,
    message: e.message || `请求失败（${res.status}）`,
    field: e.field || null,
  })
  err.report = body && body.report
  if (err.status === 401 && unauthorizedHandler) unauthorizedHandler(err)
  throw err
}

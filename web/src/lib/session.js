// session.js — who is logged in. One reactive object shared by the whole app:
//
//   import { session, login, logout, loadSession, homeOf } from '@/lib/session.js'
//   session.user  // null, or GET /me: {id, username, display_name, role, role_label,
//                 //   org: {code, name} | null, credit_code, session_expires_at}
//
// The session itself is the HttpOnly cookie; only the CSRF token is kept, in memory.
//
// Public pages (login, 政策超市, 政策计算器) ask GET /me only when a session may exist:
// the page cannot read the HttpOnly cookie, so a login also sets the marker cookie
// `qifu_in=1` (readable by the page, no secret in it, same lifetime as the session), which
// logout and any 401 remove. A visitor who never logged in sends no /me (no 401 in the
// console); a marker that outlives its session costs one 401 and is then removed.
// Workspace pages always ask /me (the server decides).
import { reactive } from 'vue'
import { setCsrfToken } from '@/api/http.js'
import * as sessionApi from '@/api/session.js'
import { ROLES } from './roles.js'

export const session = reactive({ user: null, loaded: false })

const MARK = 'qifu_in'

/** True when this browser logged in and has not logged out since (the marker cookie). */
export function mayHaveSession() {
  return typeof document !== 'undefined' && document.cookie.split(/;\s*/).some((c) => c.startsWith(`${MARK}=`))
}

function mark(user) {
  const until = user && user.session_expires_at ? Date.parse(user.session_expires_at) : NaN
  const secs = Number.isFinite(until) ? Math.max(60, Math.round((until - Date.now()) / 1000)) : 12 * 3600
  document.cookie = `${MARK}=1; Path=/; Max-Age=${secs}; SameSite=Strict`
}

function unmark() {
  document.cookie = `${MARK}=; Path=/; Max-Age=0; SameSite=Strict`
}

/** Reads the current user from the cookie session (once per page load unless force). */
export async function loadSession(force = false) {
  if (session.loaded && !force) return session.user
  try {
    const me = await sessionApi.me()
    setCsrfToken(me.csrf_token)
    delete me.csrf_token
    session.user = me
    mark(me)
  } catch (e) {
    if (e.status !== 401) throw e
    session.user = null
    setCsrfToken(null)
    unmark()
  } finally {
    session.loaded = true
  }
  return session.user
}

/** Logs in; rejects with ApiError (401 bad_login: 用户名或密码错误; 429 with retryAfter). */
export async function login(username, password) {
  const r = await sessionApi.login(username, password)
  setCsrfToken(r.csrf_token)
  session.user = r.user
  session.loaded = true
  mark(r.user)
  return r.user
}

/** Logs out (ends the server session and clears the cookie); never rejects. */
export async function logout() {
  try {
    await sessionApi.logout()
  } catch {
    /* the session may already be gone */
  }
  forget()
}

/** Forgets the user locally (after a 401). */
export function forget() {
  session.user = null
  setCsrfToken(null)
  unmark()
}

/** The path of a role's workspace ("/login" for an unknown role). */
export function homeOf(role) {
  return ROLES[role] ? ROLES[role].base : '/login'
}

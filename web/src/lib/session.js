// session.js — who is logged in. One reactive object shared by the whole app:
//
//   import { session, login, logout, loadSession, homeOf } from '@/lib/session.js'
//   session.user  // null, or GET /me: {id, username, display_name, role, role_label,
//                 //   org: {code, name} | null, credit_code, session_expires_at}
//
// The session itself is the HttpOnly cookie; only the CSRF token is kept, in memory.
import { reactive } from 'vue'
import { setCsrfToken } from '@/api/http.js'
import * as sessionApi from '@/api/session.js'
import { ROLES } from './roles.js'

export const session = reactive({ user: null, loaded: false })

/** Reads the current user from the cookie session (once per page load unless force). */
export async function loadSession(force = false) {
  if (session.loaded && !force) return session.user
  try {
    const me = await sessionApi.me()
    setCsrfToken(me.csrf_token)
    delete me.csrf_token
    session.user = me
  } catch (e) {
    if (e.status !== 401) throw e
    session.user = null
    setCsrfToken(null)
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
}

/** The path of a role's workspace ("/login" for an unknown role). */
export function homeOf(role) {
  return ROLES[role] ? ROLES[role].base : '/login'
}

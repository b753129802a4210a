// session.js — the login session (POST/DELETE /session, GET /me). lib/session.js keeps the
// logged-in user; this module only talks to the server.
import { http } from './http.js'

export const me = () => http.get('/me', undefined, { quiet401: true })
export const login = (username, password) => http.post('/session', { username, password }, { quiet401: true })
export const logout = () => http.del('/session', { quiet401: true })

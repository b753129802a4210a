// users.js — accounts (admin: /users) and the caller's own password (/me/password).
import { all, http, pager, exporter } from './http.js'

export const page = pager('/users')
/** Every account (admin; for names in the audit log). */
export const list = () => all('/users')
export const create = (body, key) => http.post('/users', body, { idempotencyKey: key })
/** Changes a user's display_name, role and org (or credit_code); members left out are kept. */
export const update = (name, body) => http.patch(`/users/${encodeURIComponent(name)}`, body)
/** act(name, 'reset_password', { password }), act(name, 'disable'), act(name, 'enable'). */
export const act = (name, action, body = {}) =>
  http.post(`/users/${encodeURIComponent(name)}/actions`, { ...body, action })
export const changePassword = (oldPassword, newPassword) =>
  http.put('/me/password', { old_password: oldPassword, new_password: newPassword })
/** Downloads the 用户清单 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/users')

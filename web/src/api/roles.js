// roles.js — the roles (data on the server, GET /roles): [{name, label, permissions, builtin}].
import { http } from './http.js'

export const list = () => http.get('/roles').then((d) => d.items)

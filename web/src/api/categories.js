// categories.js — demand categories (a tree) and their routing (/categories).
import { http, exporter } from './http.js'

const one = (code) => `/categories/${encodeURIComponent(code)}`

/** The tree ({items}); all: also the inactive ones. */
export const list = (all = false) => http.get('/categories', all ? { all: 1 } : undefined)
export const update = (code, body) => http.patch(one(code), body)
export const routes = (code) => http.get(`${one(code)}/routes`)
export const saveRoutes = (code, routes) => http.put(`${one(code)}/routes`, { routes })
/** Downloads the 诉求类别 as Excel (.xlsx), all rows under query's filters. */
export const exportXlsx = exporter('/categories')

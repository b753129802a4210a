// codes.js — administrative regions and industries (GET /codes/regions, /codes/industries).
import { all, http } from './http.js'

/** The children of parent (all top-level codes without one). */
export const regions = (parent) => all('/codes/regions', parent ? { parent } : {})
export const industries = (parent) => all('/codes/industries', parent ? { parent } : {})

/** The whole current tree in one answer: [{code, name, children?}] (GB/T 2260 to counties,
 * GB/T 4754 to 小类). Cached by the browser for a day. */
export const regionTree = () => http.get('/codes/regions/tree').then((r) => r.items)
export const industryTree = () => http.get('/codes/industries/tree').then((r) => r.items)

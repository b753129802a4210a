// codes.js — administrative regions and industries (GET /codes/regions, /codes/industries).
import { all } from './http.js'

/** The children of parent (all top-level codes without one). */
export const regions = (parent) => all('/codes/regions', parent ? { parent } : {})
export const industries = (parent) => all('/codes/industries', parent ? { parent } : {})

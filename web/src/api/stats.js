// stats.js — statistics (/stats) and their CSV downloads.
import { http, url } from './http.js'

/** Demand statistics of a period: demands({ from, to }). */
export const demands = (query) => http.get('/stats/demands', query)
export const demandsCsvUrl = (query) => url('/stats/demands', { ...query, format: 'csv' })
/** The traffic-light counts of running demands. */
export const demandLights = () => http.get('/stats/demand-lights')
export const policies = () => http.get('/stats/policies')
export const policiesCsvUrl = (query) => url('/stats/policies', { ...query, format: 'csv' })

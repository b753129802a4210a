// stats.js — statistics (/stats) and their CSV downloads.
import { http, url, exporter } from './http.js'

/** Demand statistics of a period: demands({ from, to }). */
export const demands = (query) => http.get('/stats/demands', query)
export const demandsCsvUrl = (query) => url('/stats/demands', { ...query, format: 'csv' })
/** The traffic-light counts of running demands. */
export const demandLights = () => http.get('/stats/demand-lights')
export const policies = () => http.get('/stats/policies')
export const policiesCsvUrl = (query) => url('/stats/policies', { ...query, format: 'csv' })
/** Excel (.xlsx) of the statistics: the same query as the screen. */
export const demandsXlsx = exporter('/stats/demands')
export const demandLightsXlsx = exporter('/stats/demand-lights')
export const policiesXlsx = exporter('/stats/policies')

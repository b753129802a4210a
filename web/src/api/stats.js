// stats.js — statistics (/stats) and their CSV downloads.
import { http, url, exporter, download } from './http.js'

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
/** Breakdown of the period's dispatched demands: breakdown({ by: 'category'|'region'|'channel'|'month', from, to, org }). */
export const breakdown = (query) => http.get('/stats/demand-breakdown', query)
/** 高频诉求: top({ by: 'title'|'category', from, to, limit }). */
export const top = (query) => http.get('/stats/demand-top', query)
/** The ranking of lead organisations (通报): ranking({ from, to }). */
export const ranking = (query) => http.get('/stats/demand-ranking', query)
/** The .xlsx of the statistics and of the ranking (format=xlsx, the same filters). */
export const downloadRankingXlsx = (query) =>
  download('/stats/demand-ranking', { ...query, format: 'xlsx' }, `承办单位排名通报-${query.from}-${query.to}.xlsx`)

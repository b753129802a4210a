// calendar.js — the working-day calendar (/calendar: years, days, deadlines).
import { http } from './http.js'

export const years = () => http.get('/calendar/years')
export const range = (from, to) => http.get('/calendar', { from, to })
export const setDay = (date, body) => http.put(`/calendar/days/${encodeURIComponent(date)}`, body)
export const resetDay = (date) => http.del(`/calendar/days/${encodeURIComponent(date)}`)
export const setYear = (year, body) => http.put(`/calendar/years/${encodeURIComponent(year)}`, body)
/** The deadlines a dispatch would set: deadline({ category, urgency }). */
export const deadline = (query) => http.get('/calendar/deadline', query)

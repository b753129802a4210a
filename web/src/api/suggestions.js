// suggestions.js — 企业意见建议 (/suggestions): the toy of docs/internals/adding-a-domain.md.
import { http, pager } from './http.js'

const one = (id) => `/suggestions/${encodeURIComponent(id)}`

export const page = pager('/suggestions')
export const get = (id) => http.get(one(id))
export const create = (body) => http.post('/suggestions', body)
export const update = (id, body) => http.patch(one(id), body)
/** The actions the caller may take now: [{action, label, note_required}]. */
export const actions = (id) => http.get(`${one(id)}/actions`)
/** Runs an action: act(id, 'accept'), act(id, 'answer', { note }). */
export const act = (id, action, body = {}) => http.post(`${one(id)}/actions`, { ...body, action })
export const timeline = (id) => http.get(`${one(id)}/timeline`)

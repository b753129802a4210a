// catalogSearch.js — search of the service catalogue (issue 18 item 6): the public search
// (names, 俗称, materials, pinyin initials; ranked by use and industry), and for the
// catalogue team the synonym table (俗称 → item) and the log of queries that found nothing.
import { http, pager } from './http.js'

const syn = (id) => `/catalog/synonyms/${encodeURIComponent(id)}`

/** Searches published items: { items: [row + score, matched], total, suggestions? }. */
export const search = (q, query = {}) => http.get('/service-items/search', { ...query, q })
/** One page of synonyms (catalog.write). */
export const synonyms = pager('/catalog/synonyms')
export const createSynonym = (body) => http.post('/catalog/synonyms', body)
export const updateSynonym = (id, body) => http.put(syn(id), body)
export const deleteSynonym = (id) => http.del(syn(id))
/** One page of the zero-result queries (catalog.write). */
export const zeroResults = pager('/catalog/zero-results')

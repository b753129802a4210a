// bundles.js — 一件事 bundles (/service-bundles, public; issue 18 item 3): the list and one
// bundle with its merged form, merged materials, parts that may be done later and the
// 六个一 check.
import { http, all } from './http.js'

/** Every bundle (short list). */
export const list = (query = {}) => all('/service-bundles', query, 500)
/** One bundle by its code (e.g. YJS-QYKB). */
export const get = (code) => http.get(`/service-bundles/${encodeURIComponent(code)}`)

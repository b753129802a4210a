// labels.js — the Chinese names the server gives roles and the states and actions of each
// workflow (GET /labels), fetched once per page load:
//   {"roles": {"enterprise": "企业用户", ...},
//    "demand": {"states": {"submitted": "已提交", ...}, "actions": {"accept": "受理", ...}},
//    "grant": {...}, "application": {...}, "policy": {...}}
// Components use them through lib/labels.js. A failed load resolves with {} (every lookup
// then falls back to the code itself or the row's own *_label) and is retried next time.
import { http } from './http.js'

let loading = null

export function load() {
  if (!loading) {
    loading = http.get('/labels', undefined, { quiet401: true }).catch(() => {
      loading = null
      return {}
    })
  }
  return loading
}

let catalogLoading = null

/** The catalogue's labels (GET /catalog/labels, public: item types, life stages, the guide's
 *  codes and the catalog_version workflow), for pages a visitor opens; {} after a failure. */
export function loadCatalog() {
  if (!catalogLoading) {
    catalogLoading = http.get('/catalog/labels').catch(() => {
      catalogLoading = null
      return {}
    })
  }
  return catalogLoading
}

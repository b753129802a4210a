// labels.js — the server's names of roles, states and actions (api/labels.js, GET /labels)
// as one reactive store, so a template that reads them re-renders once they arrive:
//
//   import { useLabels } from '@/lib/labels.js'
//   const { stateLabel, actionLabel, roleLabel, states, roles } = useLabels()
//   stateLabel('demand', 'signed')          -> '已签收'
//   actionLabel('policy', 'publish')        -> '发布'
//   roleLabel('clerk')                      -> '窗口受理人员'
//   states('grant')                         -> the grant states' names by code (filter options)
//
// Entities: demand, grant, application, policy. Until the labels have loaded (or when the
// server does not answer) a lookup gives the row's own label when passed one, else the code.
import { reactive } from 'vue'
import { load, loadCatalog } from '@/api/labels.js'

const store = reactive({ data: {}, loaded: false })
let started = null

/** Loads the labels once (again after a failure); resolves when they are in the store. */
export function loadLabels() {
  if (!started) {
    started = load().then((d) => {
      if (d && Object.keys(d).length) {
        store.data = { ...store.data, ...d }
        store.loaded = true
      } else {
        started = null // nothing came: ask again on the next use
      }
    })
  }
  return started
}

const EMPTY = '—'

function names(entity, kind) {
  return (store.data[entity] && store.data[entity][kind]) || {}
}

/** The state names of an entity ({} until loaded). */
export const states = (entity) => names(entity, 'states')
/** The action names of an entity ({} until loaded). */
export const actions = (entity) => names(entity, 'actions')
/**
 * Filter options { code: name } of an entity's states: the server's, or until they have
 * loaded the given codes named by themselves.
 */
export function stateOptions(entity, codes = []) {
  const s = states(entity)
  return Object.keys(s).length ? s : Object.fromEntries(codes.map((c) => [c, c]))
}

/**
 * The names of one vocabulary of a group that is not a workflow, e.g. the catalogue's item
 * types and life stages: codes('catalog', 'life_stages') -> { code: name } ({} until loaded).
 */
export const codes = (group, kind) => names(group, kind)

/** The name of one code of such a vocabulary; fallback, then the code itself. */
export function codeLabel(group, kind, code, fallback) {
  return names(group, kind)[code] || fallback || code || EMPTY
}

/** The role names ({} until loaded). */
export const roles = () => store.data.roles || {}

/** The name of a state; fallback (e.g. the row's state_label) wins over the bare code. */
export function stateLabel(entity, state, fallback) {
  if (fallback) return fallback
  return states(entity)[state] || state || EMPTY
}

export function actionLabel(entity, action, fallback) {
  if (fallback) return fallback
  return actions(entity)[action] || action || EMPTY
}

export function roleLabel(role, fallback) {
  if (fallback) return fallback
  return roles()[role] || role || EMPTY
}

/**
 * Loads the catalogue's names from the public GET /catalog/labels (no login needed) into the
 * groups "catalog" and "catalog_version", unless GET /labels has brought them already.
 */
export function loadCatalogLabels() {
  if (store.data.catalog) return Promise.resolve()
  return loadCatalog().then((d) => {
    if (!d || !Object.keys(d).length || store.data.catalog) return
    const { catalog_version: flow, ...rest } = d
    store.data = { ...store.data, catalog: rest, catalog_version: flow }
  })
}

/** For the catalogue's public pages: the lookups, with the catalogue's names only. */
export function useCatalogLabels() {
  loadCatalogLabels()
  return { stateLabel, actionLabel, codes, codeLabel, labels: store }
}

/** For components: starts the load and hands back the lookups. */
export function useLabels() {
  loadLabels()
  return { stateLabel, actionLabel, roleLabel, states, stateOptions, actions, roles, codes, codeLabel, labels: store }
}

// explain.js — joins a compact match answer (GET /enterprises/{code}/policies?explain=compact,
// POST /policies/match {"explain": "compact"}) with the policy-set template (GET /policy-set)
// into the full answer, the shape MatchResults shows (docs/internals/rules.md, "Compact
// answers"). The template is the same for every enterprise and megabytes long; the compact
// answer is what depends on the enterprise (outcome, amounts, one status letter per condition,
// the enterprise's values once). Pure functions, no imports: tests run this file under node.
//
//   const set = await loadPolicySet(fetchSet)            // fetchSet() → the template (GET /policy-set)
//   const full = expandAnswer(compact, set)               // throws StaleSetError on mismatch
//
// expandAnswer(compact, template) gives exactly the members of the full answer (same keys in
// the same order), so the server's explain=full answer and this one compare equal.

const STATUS = { t: 'true', f: 'false', u: 'unknown', m: 'manual' }

/** The template's set_key differs from the answer's: fetch the template again. */
export class StaleSetError extends Error {
  constructor(want, have) {
    super(`政策数据已更新（${have} → ${want}），请刷新`)
    this.name = 'StaleSetError'
    this.want = want
    this.have = have
  }
}

function head(t) {
  const n = { path: t.path, id: t.id, label: t.label }
  if (t.source !== undefined) n.source = t.source
  return n
}

function countsText(t, kids) {
  let yes = 0
  let no = 0
  let unk = 0
  for (const k of kids) {
    if (k.status === 'true') yes++
    else if (k.status === 'false') no++
    else unk++ // unknown and manual
  }
  if (t.kind === 'not') return t.text_before + (yes ? '下列条件成立' : no ? '下列条件不成立' : '下列条件待定')
  if (t.kind === 'at_least') return `${t.text_before}满足 ${yes} 项，需至少 ${t.k} 项`
  return `${t.text_before}满足 ${yes} 项，不满足 ${no} 项，待定 ${unk} 项`
}

/** One policy's explanation tree from its template, its status letters and the values. */
export function expandExplanation(tpl, status, values, valuesYears) {
  let at = 0
  const walk = (t) => {
    const letter = status[at++]
    if (letter === undefined || !STATUS[letter]) throw new Error('条件说明与模板不一致')
    const n = head(t)
    n.status = STATUS[letter]
    if (t.kind === 'leaf') {
      n.expected = t.expected
      if (t.fact !== undefined) n.fact = t.fact
      if (t.manual) {
        n.text = t.text_missing
        return n
      }
      const v = (t.years ? valuesYears : values)[t.fact]
      if (v === undefined) {
        n.actual = null
        n.text = t.text_missing
      } else {
        n.actual = v
        n.text = t.text_before + v + t.text_after
      }
      return n
    }
    const kids = t.children.map(walk)
    n.text = countsText(t, kids)
    n.children = kids
    return n
  }
  const tree = walk(tpl)
  if (at !== status.length) throw new Error('条件说明与模板不一致')
  return tree
}

function factRef(set, name) {
  const d = set.facts[name]
  return { fact: name, label: d ? d.label : name, source: d ? d.source : '' }
}

/** The policy-set template indexed for expandAnswer (kept with the template object). */
function indexOf(set) {
  if (!set._byId) {
    Object.defineProperty(set, '_byId', { value: new Map(), enumerable: false })
    for (const p of set.policies) set._byId.set(p.policy.id, p)
  }
  return set._byId
}

/** The full answer from a compact one and the template of the same set_key. */
export function expandAnswer(a, set) {
  if (a.explain !== 'compact') return a
  if (a.set_key !== set.set_key) throw new StaleSetError(a.set_key, set.set_key)
  const byId = indexOf(set)
  const out = {}
  if (a.credit_code !== undefined) out.credit_code = a.credit_code
  out.as_of = a.as_of
  out.set_version = a.set_version
  out.set_key = a.set_key
  out.items = a.items.map((it) => {
    const p = byId.get(it.policy_id)
    if (!p) throw new StaleSetError(a.set_key, set.set_key)
    return {
      policy: p.policy,
      outcome: it.outcome,
      outcome_label: set.outcome_labels[it.outcome],
      amount_fen: it.amount_fen,
      amount_state: it.amount_state,
      amount_before_fen: it.amount_before_fen,
      excluded_by: it.excluded_by,
      capped: it.capped,
      authoritative: it.authoritative,
      to_verify: it.to_verify,
      missing: it.missing.map((m) => factRef(set, m)),
      explanation: expandExplanation(p.explanation, it.status, a.values, a.values_years),
    }
  })
  out.missing_ranked = a.missing_ranked.map((m) => ({ ...factRef(set, m.fact), policies: m.policies }))
  out.counts = a.counts
  out.estimated_total_fen = a.estimated_total_fen
  out.estimated_total_partial = a.estimated_total_partial
  return out
}

let cached = null // { set, etag }

/**
 * The policy-set template, fetched once and kept while its set_key is current. want is the
 * set_key an answer named (omit it to take whatever is current). fetchSet() resolves with
 * GET /policy-set's parsed body (api/policies.js policySet; the browser's HTTP cache
 * revalidates it with the ETag).
 */
export async function loadPolicySet(fetchSet, want) {
  if (cached && (!want || cached.set_key === want)) return cached
  cached = await fetchSet()
  return cached
}

/**
 * Fetches a compact answer with fetchAnswer() and joins it with the template; when the set
 * changed in between, fetches the template (and if need be the answer) again, at most twice.
 */
export async function matchExpanded(fetchSet, fetchAnswer) {
  let a = await fetchAnswer()
  for (let i = 0; i < 3; i++) {
    const set = await loadPolicySet(fetchSet, a.set_key)
    if (set.set_key === a.set_key) return expandAnswer(a, set)
    a = await fetchAnswer() // the template is newer than the answer
  }
  throw new StaleSetError(a.set_key, cached ? cached.set_key : '')
}

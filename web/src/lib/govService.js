// govService.js — schema.org GovernmentService markup of a public guide page (issue 18
// item 7), built from one service item as GET /service-items/{id} answers it. No imports:
// tests may run it under node. The open-data export proper is CPSV-AP (GET .../{id}.jsonld).
export function governmentService(it, pageUrl) {
  const g = (it && it.guide) || {}
  const item = (it && it.item) || {}
  const agency = (it && it.agency) || {}
  const out = {
    '@context': 'https://schema.org',
    '@type': 'GovernmentService',
    name: it.name || item.name,
    identifier: it.impl_code,
    serviceType: item.name,
    provider: { '@type': 'GovernmentOrganization', name: agency.name || it.agency_name, taxID: agency.uscc || undefined },
    areaServed: it.codes && it.codes.region ? { '@type': 'AdministrativeArea', identifier: it.codes.region } : undefined,
    audience: (g.audience || []).length ? { '@type': 'Audience', audienceType: g.audience.join('、') } : undefined,
    url: pageUrl || undefined,
  }
  if (item.competent_dept) out.serviceOperator = { '@type': 'GovernmentOrganization', name: item.competent_dept }
  const channels = (g.locations || []).map((l) => ({
    '@type': 'ServiceChannel',
    name: l.name,
    serviceLocation: { '@type': 'Place', name: l.name, address: l.address },
    availableLanguage: 'zh-CN',
    hoursAvailable: l.hours || undefined,
    servicePhone: g.consult_phone ? { '@type': 'ContactPoint', telephone: g.consult_phone } : undefined,
  }))
  if (channels.length) out.availableChannel = channels
  if (it.version && it.version.published_at) out.datePublished = it.version.published_at
  if (g.effective_from) out.validFrom = g.effective_from
  const rules = [...(item.basis || []), ...(g.legal_basis || [])].map((b) => `${b.law || ''}${b.article || ''}`)
  if (rules.length) out.termsOfService = rules.join('；')
  if (g.results && g.results.length) out.serviceOutput = g.results.map((r) => ({ '@type': 'Thing', name: r.name }))
  return JSON.parse(JSON.stringify(out)) // drops the undefined members
}

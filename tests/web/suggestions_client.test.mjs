// SPDX-License-Identifier: Apache-2.0
// The client module of the toy resource of docs/internals/adding-a-domain.md: each function
// sends the method, path and body the API expects (fetch is stubbed; no server, no browser).
import { test } from 'node:test'
import assert from 'node:assert/strict'

const calls = []
globalThis.fetch = async (url, init) => {
  calls.push([init.method, url, init.body ? JSON.parse(init.body) : undefined])
  return new Response(JSON.stringify({ items: [], next_cursor: null }),
    { status: 200, headers: { 'Content-Type': 'application/json' } })
}
const s = await import('../../web/src/api/suggestions.js')

test('suggestions.js speaks /api/v1/suggestions', async () => {
  await s.page({ state: 'submitted' })
  await s.get(7)
  await s.create({ title: 't', content: 'c' })
  await s.update(7, { title: 'u' })
  await s.actions(7)
  await s.act(7, 'answer', { note: 'n' })
  await s.timeline(7)
  assert.deepEqual(calls, [
    ['GET', '/api/v1/suggestions?state=submitted&limit=20', undefined],
    ['GET', '/api/v1/suggestions/7', undefined],
    ['POST', '/api/v1/suggestions', { title: 't', content: 'c' }],
    ['PATCH', '/api/v1/suggestions/7', { title: 'u' }],
    ['GET', '/api/v1/suggestions/7/actions', undefined],
    ['POST', '/api/v1/suggestions/7/actions', { note: 'n', action: 'answer' }],
    ['GET', '/api/v1/suggestions/7/timeline', undefined],
  ])
})

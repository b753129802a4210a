// SPDX-License-Identifier: Apache-2.0
// Issue 17 item 10, "First contact": the login page links to 政策超市 and the calculator and
// carries the operator's footer (serve --operator/--icp); public pages send no GET /me for
// a visitor who never logged in; the login page's assets weigh ≤ 150 KB gzip as served.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { startServer, launchBrowser, withPage, login, logout, shot, overflowsX, waitForText, PHONE } from './harness.mjs'

const OPERATOR = '安庆市数据资源管理局'
const ICP = '皖ICP备12345678号-1'
let srv
let browser

before(async () => {
  srv = await startServer(['--operator', OPERATOR, '--icp', ICP])
  browser = await launchBrowser()
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

/** Records the paths of the API requests the page sends. */
function recordApi(page) {
  const seen = []
  page.on('request', (r) => {
    const u = new URL(r.url())
    if (u.pathname.startsWith('/api/')) seen.push(u.pathname)
  })
  return seen
}

for (const [tag, viewport] of [['desktop', { width: 1440, height: 900 }], ['phone', PHONE]]) {
  test(`login page: links to 政策超市 and the calculator, the operator's footer (${tag})`, () =>
    withPage(browser, srv, { name: `first-login-${tag}`, viewport }, async (page) => {
      const api = recordApi(page)
      await page.goto('/login')
      const footer = page.locator('[data-test="site-footer"]')
      await waitForText(footer, (t) => t.includes(`主办单位：${OPERATOR}`) && t.includes(ICP))
      assert.equal(await overflowsX(page), false, 'the login page overflows sideways')
      await shot(page, `first-login-${tag}`)
      await page.locator('[data-test="login-link-policies"]').click()
      await page.waitForURL((u) => new URL(u).pathname === '/policies')
      await page.locator('[data-test="policy-card"]').first().waitFor()
      await waitForText(page.locator('[data-test="site-footer"]'), (t) => t.includes(OPERATOR))
      await page.goto('/login')
      await page.locator('[data-test="login-link-calculator"]').click()
      await page.waitForURL((u) => new URL(u).pathname === '/calculator')
      await page.locator('[data-test="calc-submit"]').waitFor()
      await page.goto('/policies/1')
      await page.locator('h1, .page-title').first().waitFor()
      assert.deepEqual(api.filter((p) => p === '/api/v1/me'), [], 'a visitor asked GET /me')
    }))
}

test('after a login the public pages know the user; after logout they stop asking /me', () =>
  withPage(browser, srv, { name: 'first-session-marker' }, async (page) => {
    const api = recordApi(page)
    await login(page, srv, 'enterprise')
    await page.goto('/policies')
    await page.locator('.pub__login', { hasText: '进入工作台' }).waitFor()
    assert.ok(api.includes('/api/v1/me'), 'a logged-in user on a public page is recognised through /me')
    await page.goto('/enterprise')
    await page.locator('[data-test="workspace"], .layout__main').first().waitFor()
    await logout(page)
    api.length = 0
    await page.goto('/calculator')
    await page.locator('[data-test="calc-submit"]').waitFor()
    await page.goto('/login')
    await page.locator('[data-test="login-submit"]').waitFor()
    assert.deepEqual(api.filter((p) => p === '/api/v1/me'), [], 'GET /me after logout on public pages')
  }))

/** The bytes the server sends for path with Accept-Encoding: gzip (the body as transferred). */
function servedBytes(path) {
  return new Promise((resolve, reject) => {
    http.get(`${srv.url}${path}`, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      let n = 0
      res.on('data', (c) => { n += c.length })
      res.on('end', () => resolve({ n, gz: res.headers['content-encoding'] === 'gzip', status: res.statusCode }))
    }).on('error', reject)
  })
}

test('the login page weighs at most 150 KB gzip and loads no charts, no pinyin', () =>
  withPage(browser, srv, { name: 'first-weight' }, async (page) => {
    const files = new Set()
    page.on('request', (r) => {
      const u = new URL(r.url())
      if (u.origin === srv.url && !u.pathname.startsWith('/api/') && u.pathname !== '/healthz') files.add(u.pathname)
    })
    await page.goto('/login')
    await page.locator('[data-test="login-submit"]').waitFor()
    await page.waitForLoadState('networkidle')
    const list = [...files]
    assert.ok(list.some((p) => p.endsWith('.js')) && list.some((p) => p.endsWith('.css')), list.join(' '))
    assert.ok(!list.some((p) => /echarts|pinyin|RoleLayout|el-table/.test(p)), `loaded: ${list.join(' ')}`)
    let total = 0
    const rows = []
    for (const p of list) {
      const r = await servedBytes(p)
      assert.equal(r.status, 200, p)
      total += r.n
      rows.push(`${p} ${r.n}${r.gz ? ' gz' : ''}`)
    }
    assert.ok(total <= 150 * 1024, `the login page weighs ${total} bytes:\n${rows.join('\n')}`)
  }))

// SPDX-License-Identifier: Apache-2.0
// The app shell: login per role, the role's own workspace and menu, role guards, the
// Chinese login error, logout, and the enterprise workspace at 375 px.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, logout, shot, overflowsX, waitForText, DEMO, PHONE }
  from './harness.mjs'

let srv
let browser

before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

for (const [user, d] of Object.entries(DEMO)) {
  test(`${user} logs in and sees the ${d.role} workspace`, () =>
    withPage(browser, srv, { name: `workspace-${user}` }, async (page) => {
      await login(page, srv, user)
      assert.equal(new URL(page.url()).pathname, d.base)
      const ws = page.locator('[data-test="workspace"]')
      await ws.waitFor()
      const text = await ws.innerText()
      assert.match(text, new RegExp(`您好，${d.name}`))
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN')
      // The menu holds the role's own entries, starting with 工作台.
      const menu = page.locator('[data-test="role-menu"]')
      assert.match(await menu.innerText(), /工作台/)
      await shot(page, `workspace-${user}`)
    }))
}

test('a page of another role sends the user back to their own workspace', () =>
  withPage(browser, srv, { name: 'role-guard' }, async (page) => {
    await login(page, srv, 'enterprise')
    await page.goto('/admin')
    await page.waitForURL((u) => new URL(u).pathname === '/enterprise')
    await page.locator('.el-message--warning').filter({ hasText: '无权访问' }).waitFor()
    // After a reload the cookie session is still there (the UI keeps no token itself).
    await page.reload()
    await page.locator('[data-test="workspace"]').waitFor()
    assert.equal(new URL(page.url()).pathname, '/enterprise')
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))
    assert.equal(stored, '{}{}')
  }))

test('an anonymous visit goes to the login page and back after login', () =>
  withPage(browser, srv, { name: 'redirect' }, async (page) => {
    await page.goto('/clerk')
    await page.waitForURL((u) => new URL(u).pathname === '/login')
    assert.equal(new URL(page.url()).searchParams.get('redirect'), '/clerk')
    await login(page, srv, 'clerk')
    assert.equal(new URL(page.url()).pathname, '/clerk')
  }))

test('a wrong password shows the Chinese error and keeps the username', () =>
  withPage(browser, srv, { name: 'login-error' }, async (page) => {
    await page.goto('/login')
    await page.locator('input[name="username"]').fill('clerk')
    await page.locator('input[name="password"]').fill('wrong-password')
    await page.locator('[data-test="login-submit"]').click()
    // The server's Chinese message, next to the field it names (or above the button).
    const err = page.locator('.el-form-item__error, [data-test="login-error"]').filter({ hasText: '用户名或密码错误' })
    await err.first().waitFor()
    assert.equal(await page.locator('input[name="username"]').inputValue(), 'clerk')
    assert.equal(new URL(page.url()).pathname, '/login')
    await shot(page, 'login-error')
  }))

test('logout ends the session', () =>
  withPage(browser, srv, { name: 'logout' }, async (page) => {
    await login(page, srv, 'supervisor')
    await logout(page)
    // The server session is gone: the workspace asks for a login again.
    await page.goto('/supervisor')
    await page.waitForURL((u) => new URL(u).pathname === '/login')
  }))

test('the enterprise workspace fits a 375 px phone, menu in a drawer', () =>
  withPage(browser, srv, { name: 'enterprise-375', viewport: PHONE }, async (page) => {
    await login(page, srv, 'enterprise')
    await page.locator('[data-test="workspace"]').waitFor()
    // The enterprise's name from /enterprises/{credit_code}.
    await page.locator('[data-test="workspace"]').getByText('所属企业').waitFor()
    assert.equal(await overflowsX(page), false, 'the page scrolls sideways at 375 px')
    assert.equal(await page.locator('.layout__aside').count(), 0)
    await shot(page, 'enterprise-375')
    await page.locator('[data-test="menu-toggle"]').click()
    const menu = page.locator('.el-drawer [data-test="role-menu"]')
    await menu.waitFor()
    assert.match(await menu.innerText(), /工作台/)
    assert.equal(await overflowsX(page), false)
    await shot(page, 'enterprise-375-menu')
  }))

test("the admin's workspace pages through the audit log with the cursor", () =>
  withPage(browser, srv, { name: 'admin-audit' }, async (page) => {
    await login(page, srv, 'admin')
    const card = page.locator('[data-test="recent-audit"]')
    const rows = card.locator('.el-table__body tr')
    await rows.first().waitFor()
    assert.equal(await rows.count(), 10)
    const first = await rows.first().innerText()
    assert.match(first, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
    assert.match(first, /系统管理员 .* 登录了系统/) // the newest event: this login, as a sentence (issue 17)
    await card.getByRole('button', { name: '下一页' }).click()
    await card.getByText('第 2 页').waitFor()
    const second = await waitForText(rows.first(), (t) => t !== '' && t !== first)
    assert.equal(await rows.count(), 10)
    await card.getByRole('button', { name: '上一页' }).click()
    await card.getByText('第 1 页').waitFor()
    await waitForText(rows.first(), first)
  }))

test('state and role names come from GET /api/v1/labels, fetched once per page load', () =>
  withPage(browser, srv, { name: 'labels' }, async (page) => {
    // The server's names, with two of them changed on the way: the UI must show those.
    let fetched = 0
    await page.route('**/api/v1/labels', async (route) => {
      fetched++
      const res = await route.fetch()
      const labels = await res.json()
      assert.equal(labels.demand.states.submitted, '已提交')
      assert.equal(labels.roles.handler, '承办单位人员')
      labels.demand.states.submitted = '已提交（服务端）'
      labels.roles.handler = '承办单位人员（服务端）'
      await route.fulfill({ response: res, json: labels })
    })
    await login(page, srv, 'enterprise')
    await page.locator('[data-test="role-menu"]').getByText('我的诉求').click()
    await page.locator('[data-test="demand-state-filter"]').click()
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '已提交（服务端）' }).waitFor()
    await page.keyboard.press('Escape')
    await page.locator('[data-test="role-menu"]').getByText('申请与兑现').click()
    await page.locator('[data-test="grants-table"]').waitFor()
    assert.equal(fetched, 1)
    await logout(page)
    await login(page, srv, 'admin')
    await page.locator('[data-test="role-menu"]').getByText('用户管理').click()
    await page.locator('[data-test="user-new"]').click()
    await page.locator('[data-test="u-role"]').click()
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '承办单位人员（服务端）' }).waitFor()
  }))

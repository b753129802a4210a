// SPDX-License-Identifier: Apache-2.0
// Issue 14 item 20 in the browser, at phone width: 我的账户 changes one's own password (the
// server's Chinese policy message shows on the field; a change logs out), the admin's user
// page resets a password and disables a user, and the API-key page revokes a key.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, shot, overflowsX, waitForText, apiAs, PHONE }
  from './harness.mjs'

let srv
let browser

before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
  for (const name of ['web_acct', 'web_acct2']) {
    await apiAs(srv, 'admin', 'POST', '/api/v1/users',
      { username: name, password: 'Web-Account-Pass-1', role: 'clerk', org: '340800-QFZX' })
  }
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

async function loginStatus(username, password) {
  const r = await fetch(`${srv.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  return r.status
}

async function confirmBox(page) {
  await page.locator('.el-message-box__btns .el-button--primary').click()
}

test('我的账户 changes the password and logs out', () =>
  withPage(browser, srv, { name: 'account-password', viewport: PHONE }, async (page) => {
    await login(page, srv, 'web_acct', 'Web-Account-Pass-1')
    await page.locator('[data-test="user-menu"]').click()
    await page.locator('[data-test="account"]').click()
    await page.waitForURL((u) => new URL(u).pathname === '/clerk/account')
    await waitForText(page.locator('[data-test="account-info"]'), (t) => t.includes('web_acct'))
    // a common password is refused by the server, with its reason on the field
    await page.locator('input[data-test="pw-old"]').fill('Web-Account-Pass-1')
    await page.locator('input[data-test="pw-new"]').fill('woaini1314520')
    await page.locator('input[data-test="pw-confirm"]').fill('woaini1314520')
    await page.locator('[data-test="pw-submit"]').click()
    await waitForText(page.locator('[data-test="password-form"]'), (t) => t.includes('常见'))
    assert.equal(await overflowsX(page), false)
    await shot(page, 'account-password-refused')
    await page.locator('input[data-test="pw-new"]').fill('Jiuhua-Mountain-88')
    await page.locator('input[data-test="pw-confirm"]').fill('Jiuhua-Mountain-88')
    await page.locator('[data-test="pw-submit"]').click()
    await page.waitForURL((u) => new URL(u).pathname === '/login')
    assert.equal(await loginStatus('web_acct', 'Web-Account-Pass-1'), 401)
    assert.equal(await loginStatus('web_acct', 'Jiuhua-Mountain-88'), 201)
  }))

test('the admin resets a password, disables a user and revokes an API key', () =>
  withPage(browser, srv, { name: 'admin-accounts', viewport: PHONE }, async (page) => {
    await login(page, srv, 'admin')
    await page.goto('/admin/users')
    await page.locator('[data-test="reset-web_acct2"]').click()
    await page.locator('input[data-test="reset-password"]').fill('123456')
    await page.locator('[data-test="reset-submit"]').click()
    await waitForText(page.locator('[data-test="reset-dialog"]'), (t) => t.includes('至少需要 10 个字符'))
    await page.locator('input[data-test="reset-password"]').fill('Reset-In-The-Browser-1')
    await page.locator('[data-test="reset-submit"]').click()
    await page.locator('.el-message--success').filter({ hasText: '已重置密码' }).waitFor()
    assert.equal(await loginStatus('web_acct2', 'Reset-In-The-Browser-1'), 201)
    await page.locator('[data-test="disable-web_acct2"]').click()
    await confirmBox(page)
    await page.locator('[data-test="enable-web_acct2"]').waitFor()
    assert.equal(await loginStatus('web_acct2', 'Reset-In-The-Browser-1'), 403)
    assert.equal(await overflowsX(page), false)
    await shot(page, 'admin-users-actions')

    srv.cli('apikey', 'add', '网页测试密钥', '--org', '340800-QFZX', '--db', '$DB')
    const keys = (await apiAs(srv, 'admin', 'GET', '/api/v1/apikeys')).items
    const id = keys.find((k) => k.name === '网页测试密钥').id
    await page.goto('/admin/apikeys')
    await waitForText(page.locator('[data-test="apikey-table"]'), (t) => t.includes('网页测试密钥'))
    await page.locator(`[data-test="revoke-${id}"]`).click()
    await confirmBox(page)
    await page.locator('.el-message--success').filter({ hasText: '已吊销' }).waitFor()
    const after = (await apiAs(srv, 'admin', 'GET', '/api/v1/apikeys')).items
    assert.notEqual(after.find((k) => k.id === id).revoked_at, null)
    await shot(page, 'admin-apikeys')
  }))

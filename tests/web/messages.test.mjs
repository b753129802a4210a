// SPDX-License-Identifier: Apache-2.0
// To-do counts and the 消息 page (issue 17 item 2), at 1440 and 375 px: every role's 工作台
// shows its counts (GET /me/todo) and its 消息 page opens from the menu; the bell and the
// 消息 menu entry carry the unread count, which 全部标为已读 clears; a count opens the list it
// counts, and its badge moves after an action taken in the UI.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, shot, overflowsX, waitForText, apiAs } from './harness.mjs'

const WIDE = { width: 1440, height: 900 }
const NARROW = { width: 375, height: 812 }
const ROLES = [
  ['enterprise', '/enterprise'], ['clerk', '/clerk'], ['handler', '/handler'],
  ['supervisor', '/supervisor'], ['officer', '/officer'], ['admin', '/admin'],
]

let srv
let browser

before(async () => {
  // QIFU_WEB_DIR serves a freshly built web/dist while developing (no relink).
  srv = await startServer(process.env.QIFU_WEB_DIR ? ['--web-dir', process.env.QIFU_WEB_DIR] : [])
  browser = await launchBrowser()
  // Demands in several steps: the enterprise's are accepted (a 受理 notice to it), two are
  // dispatched to 经信局 (交办 notices to the handler), one waits at the desk.
  const submit = (title) => apiAs(srv, 'enterprise', 'POST', '/api/v1/demands', {
    category: 'help', title, content: `浏览器测试：${title}`, contact_phone: '13905561234' })
  await submit('等待受理的诉求')
  for (const title of ['交办一', '交办二']) {
    const d = await submit(title)
    await apiAs(srv, 'clerk', 'POST', `/api/v1/demands/${d.id}/actions`, { action: 'accept' })
    await apiAs(srv, 'clerk', 'POST', `/api/v1/demands/${d.id}/actions`, { action: 'dispatch', lead: '340800-JXJ' })
  }
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

const todoOf = async (user) => Object.fromEntries((await apiAs(srv, user, 'GET', '/api/v1/me/todo')).items.map((i) => [i.key, i.count]))

/** Opens the 消息 page through the menu (the drawer on a phone). */
async function openMessages(page, base, narrow) {
  if (narrow) {
    await page.locator('[data-test="menu-toggle"]').click()
    await page.locator('.layout__drawer [data-test="role-menu"]').waitFor()
    await page.locator(`.layout__drawer .el-menu-item:has-text("消息")`).click()
  } else {
    await page.locator('.layout__aside .el-menu-item:has-text("消息")').click()
  }
  await page.waitForURL((u) => new URL(u).pathname === `${base}/notices`)
  await page.locator('[data-test="notices-table"]').waitFor()
}

for (const [vp, viewport] of [['desktop', WIDE], ['phone', NARROW]]) {
  test(`every role's 工作台 shows its counts and its 消息 page opens (${vp})`, async () => {
    for (const [user, base] of ROLES) {
      await withPage(browser, srv, { name: `messages-${user}-${vp}`, viewport }, async (page) => {
        await login(page, srv, user)
        const want = await todoOf(user)
        const box = page.locator('[data-test="todo-counts"]')
        await box.waitFor()
        for (const [key, n] of Object.entries(want)) {
          await waitForText(page.locator(`[data-test="todo-${key}"]`), (t) => t.startsWith(String(n)))
        }
        await shot(page, `workspace-todo-${user}-${vp}`)
        await openMessages(page, base, vp === 'phone')
        assert.equal(await overflowsX(page), false, `${user} 消息 overflows at ${vp}`)
        await shot(page, `messages-${user}-${vp}`)
      })
    }
  })
}

test('the unread badge counts the unread notices; 全部标为已读 clears it (desktop: handler)', () =>
  withPage(browser, srv, { name: 'messages-mark-all-desktop', viewport: WIDE }, async (page) => {
    await login(page, srv, 'handler')
    const unread = (await todoOf('handler')).unread
    assert.ok(unread >= 2, `handler has ${unread} unread`)
    await waitForText(page.locator('[data-test="bell-badge"] .el-badge__content'), String(unread))
    await waitForText(page.locator('[data-test="menu-badge-/handler/notices"]'), String(unread))
    await openMessages(page, '/handler', false)
    await page.locator('.el-tabs__item:has-text("未读")').click()
    await waitForText(page.locator('[data-test="notices-table"]'), (t) => t.includes('新交办诉求'))
    assert.equal(await page.locator('[data-test="notice"]').count(), unread)
    // One read by its own button, then all.
    await page.locator('[data-test="mark-read"]').first().click()
    await waitForText(page.locator('[data-test="bell-badge"] .el-badge__content'), String(unread - 1))
    await page.locator('[data-test="mark-all-read"]').click()
    await waitForText(page.locator('[data-test="notices-table"]'), (t) => t.includes('没有未读消息'))
    await page.locator('[data-test="bell-badge"] .el-badge__content').waitFor({ state: 'hidden' })
    assert.equal(await page.locator('[data-test="menu-badge-/handler/notices"]').count(), 0)
    assert.equal((await todoOf('handler')).unread, 0)
    await shot(page, 'messages-all-read-desktop')
  }))

test('全部标为已读 on a phone (enterprise), and a notice links to its record', () =>
  withPage(browser, srv, { name: 'messages-mark-all-phone', viewport: NARROW }, async (page) => {
    await login(page, srv, 'enterprise')
    const unread = (await todoOf('enterprise')).unread
    assert.ok(unread >= 2, `enterprise has ${unread} unread`)
    await waitForText(page.locator('[data-test="bell-badge"] .el-badge__content'), String(unread))
    await page.locator('[data-test="bell"]').click()
    await page.waitForURL((u) => new URL(u).pathname === '/enterprise/notices')
    const link = page.locator('[data-test="notice-link"]').first()
    await waitForText(page.locator('[data-test="notices-table"]'), (t) => t.includes('已受理'))
    assert.equal(await overflowsX(page), false)
    await shot(page, 'messages-enterprise-phone')
    await page.locator('[data-test="mark-all-read"]').click()
    await page.locator('[data-test="bell-badge"] .el-badge__content').waitFor({ state: 'hidden' })
    assert.equal(await page.locator('[data-test="notice"].n--unread').count(), 0)
    await link.click()
    await page.waitForURL((u) => /^\/enterprise\/demands\/\d+$/.test(new URL(u).pathname))
  }))

test('a count opens its list, and its badges move after an action in the UI (handler 待签收)', () =>
  withPage(browser, srv, { name: 'messages-count-moves', viewport: WIDE }, async (page) => {
    await login(page, srv, 'handler')
    const before = (await todoOf('handler')).sign
    assert.ok(before >= 1)
    await waitForText(page.locator('[data-test="todo-sign"]'), (t) => t.startsWith(String(before)))
    await waitForText(page.locator('[data-test="menu-badge-/handler/inbox"]'), String(before))
    await page.locator('[data-test="todo-sign"]').click()
    await page.waitForURL((u) => new URL(u).pathname === '/handler/inbox' && new URL(u).searchParams.get('todo') === 'sign')
    const table = page.locator('[data-test="inbox-all"]')
    await waitForText(table, (t) => t.includes('交办'))
    assert.equal(await table.locator('.el-table__body tr').count(), before)
    await table.locator('.el-table__body tr').first().click()
    await page.waitForURL((u) => /^\/handler\/demands\/\d+$/.test(new URL(u).pathname))
    await page.locator('[data-test="act-sign"]').click()
    const dialog = page.locator('[data-test="action-dialog"]')
    if (await dialog.isVisible().catch(() => false)) {
      await dialog.locator('[data-test="act-submit"]').click()
      await dialog.waitFor({ state: 'hidden' })
    }
    // The badge follows the action without a reload.
    if (before - 1 > 0) await waitForText(page.locator('[data-test="menu-badge-/handler/inbox"]'), String(before - 1))
    else await page.locator('[data-test="menu-badge-/handler/inbox"]').waitFor({ state: 'detached' })
    assert.equal((await todoOf('handler')).sign, before - 1)
    await shot(page, 'messages-count-moved')
  }))

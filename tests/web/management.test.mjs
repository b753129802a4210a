// SPDX-License-Identifier: Apache-2.0
// Issue 17 item 8 in the browser, at 1440 × 900 and 375 × 812: 企业档案 (一企一档) for the
// government roles (menu entry, search by name and credit code, the scope the server
// decides — a county user sees only the county —, the enterprise page with facts, source
// and date, 包保 officials and demands), 我的账户 reachable from every role's menu on a
// phone, the admin's user edit and API-key creation, and the policy editor: a yes/no
// condition starts unset and cannot be saved so, and publishing needs 有效期 and warns,
// with the registry count, when the draft matches no enterprise.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, shot, overflowsX, waitForText, apiAs, settle }
  from './harness.mjs'

const WIDE = { width: 1440, height: 900 }
const PHONE = { width: 375, height: 812 }
const SIZES = [['wide', WIDE], ['phone', PHONE]]
const DEMO_CODE = '91340100131860916Y' // 安庆市示例智能装备有限公司, 340811, 包保 handler
const W = 1000000 // 万元 in fen

let srv
let browser
let county // the credit code of an enterprise registered in 怀宁县 (340822)

/** A valid credit code: GB 32100 check character on 17 characters. */
function creditCode(code17) {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY'
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
  const s = [...code17].reduce((a, c, i) => a + chars.indexOf(c) * w[i], 0)
  return code17 + chars[(31 - (s % 31)) % 31]
}

before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
  county = creditCode('91340822MA2N7K8Q1')
  await apiAs(srv, 'admin', 'POST', '/api/v1/enterprises', {
    credit_code: county, name: '怀宁县档案测试纺织有限公司', region: '340822', industry: '1711', scale: 'small',
  })
  await apiAs(srv, 'admin', 'POST', '/api/v1/users',
    { username: 'hn_clerk', password: 'Huaining-Clerk-Pass-1', role: 'clerk', org: '340822' })
  await apiAs(srv, 'admin', 'POST', '/api/v1/users',
    { username: 'web_edit', password: 'Web-Edit-Pass-1', role: 'clerk', org: '340800-QFZX' })
  await apiAs(srv, 'handler', 'PUT', `/api/v1/enterprises/${DEMO_CODE}/facts`,
    { facts: [{ fact: 'employees', value: 88, as_of: '2025-12-31', status: 'self_declared' }] })
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

/** Opens a menu entry by its title, through the drawer on a phone. */
async function menu(page, title) {
  const burger = page.locator('[data-test="menu-toggle"]')
  if (await burger.isVisible()) {
    await burger.click()
    await settle(page)
  }
  await page.locator('.el-menu-item:visible').filter({ hasText: title }).first().click()
}

async function pick(page, sel, text) {
  const opt = page.locator('.el-select-dropdown__item:visible').filter({ hasText: text }).first()
  for (let attempt = 1; ; attempt++) {
    await sel.click()
    try {
      await opt.waitFor({ state: 'visible', timeout: 3000 })
      await opt.click({ timeout: 3000 })
      return
    } catch (err) {
      if (attempt >= 3) throw err
      await page.keyboard.press('Escape')
    }
  }
}

const rowOf = (page, code) => page.locator(`[data-test="registry-row-${code}"]`)

for (const [size, viewport] of SIZES) {
  test(`企业档案: the clerk searches the registry and opens an enterprise (${size})`, () =>
    withPage(browser, srv, { name: `registry-clerk-${size}`, viewport }, async (page) => {
      await login(page, srv, 'clerk')
      await menu(page, '企业档案')
      await page.waitForURL((u) => new URL(u).pathname === '/clerk/enterprises')
      await rowOf(page, DEMO_CODE).waitFor()
      await rowOf(page, county).waitFor()
      assert.equal(await overflowsX(page), false)
      await shot(page, `registry-list-${size}`)
      // By credit code (a lower-case prefix), then by name.
      await page.locator('input[data-test="registry-q"]').fill(county.slice(0, 12).toLowerCase())
      await page.locator('[data-test="registry-search"]').click()
      await waitForText(page.locator('[data-test="registry-table"]'), (t) => t.includes('怀宁县档案测试') && !t.includes('示例智能装备'))
      await page.locator('input[data-test="registry-q"]').fill('示例智能')
      await page.locator('[data-test="registry-search"]').click()
      await waitForText(page.locator('[data-test="registry-table"]'), (t) => t.includes('示例智能装备') && !t.includes('怀宁县档案测试'))
      await rowOf(page, DEMO_CODE).click()
      await page.waitForURL((u) => new URL(u).pathname === `/clerk/enterprises/${DEMO_CODE}`)
      await waitForText(page.locator('[data-test="ent-name"]'), '安庆市示例智能装备有限公司')
      const info = await waitForText(page.locator('[data-test="ent-info"]'), (t) => t.includes('宜秀区'))
      assert.match(info, /通用设备|制造/)
      // Facts with their source and date; the self-declared one says so.
      const facts = await waitForText(page.locator('[data-test="ent-facts"]'), (t) => t.includes('从业人员'))
      assert.match(facts, /2025-12-31/)
      assert.match(facts, /自主申报/)
      assert.match(facts, /纳税信用等级/)
      assert.doesNotMatch(facts, /small|high_tech/) // codes are named above, not listed raw
      // 包保: the demo's handler looks after this enterprise.
      await waitForText(page.locator('[data-test="ent-officials"]'), (t) => t.includes('包保干部') && t.includes('handler'))
      // The clerk may read demands but not grants: the tabs follow the permissions.
      const tabs = await page.locator('.el-tabs__nav').innerText()
      assert.ok(tabs.includes('诉求') && !tabs.includes('兑现'), tabs)
      assert.equal(await overflowsX(page), false)
      await shot(page, `registry-enterprise-${size}`)
      await page.locator('.el-tabs__item').filter({ hasText: '诉求' }).click()
      await page.locator('[data-test="ent-demands"]').waitFor()
      assert.equal(await overflowsX(page), false)
    }))
}

test('a county clerk sees only the county, and another enterprise is not found', () =>
  withPage(browser, srv, { name: 'registry-county', viewport: PHONE }, async (page) => {
    await login(page, srv, 'hn_clerk', 'Huaining-Clerk-Pass-1')
    await menu(page, '企业档案')
    await rowOf(page, county).waitFor()
    await waitForText(page.locator('.paged-table__footer'), (t) => t.includes('已全部加载'))
    assert.equal(await rowOf(page, DEMO_CODE).count(), 0)
    await shot(page, 'registry-county-phone')
    await page.goto(`/clerk/enterprises/${DEMO_CODE}`)
    await waitForText(page.locator('[data-test="ent-error"]'), (t) => t.includes('不在您的查看范围内'))
  }))

for (const [role, user] of [['supervisor', 'supervisor'], ['officer', 'officer'], ['handler', 'handler']]) {
  test(`企业档案 is in the ${role}'s menu, with the sections its permissions reach (phone)`, () =>
    withPage(browser, srv, { name: `registry-${role}`, viewport: PHONE }, async (page) => {
      await login(page, srv, user)
      await menu(page, '企业档案')
      await rowOf(page, DEMO_CODE).click()
      await waitForText(page.locator('[data-test="ent-name"]'), '安庆市示例智能装备有限公司')
      const tabs = await page.locator('.el-tabs__nav').innerText()
      assert.equal(tabs.includes('兑现'), role !== 'handler', tabs)
      assert.equal(await overflowsX(page), false)
      await shot(page, `registry-enterprise-${role}-phone`)
    }))
}

test('我的账户 is reachable from every role\'s menu at 375 px', () =>
  withPage(browser, srv, { name: 'account-every-role', viewport: PHONE }, async (page) => {
    const bases = { enterprise: 'enterprise', clerk: 'clerk', handler: 'handler', supervisor: 'supervisor',
      officer: 'officer', admin: 'admin' }
    for (const [user, base] of Object.entries(bases)) {
      await login(page, srv, user)
      await page.locator('[data-test="user-menu"]').click()
      await page.locator('[data-test="account"]:visible').click()
      await page.waitForURL((u) => new URL(u).pathname === `/${base}/account`)
      await page.locator('input[data-test="pw-old"]').waitFor()
      await settle(page)
      assert.equal(await overflowsX(page), false, user)
      await page.locator('[data-test="user-menu"]').click()
      await page.locator('[data-test="logout"]:visible').click()
      await page.waitForURL((u) => new URL(u).pathname === '/login')
    }
  }))

for (const [size, viewport] of SIZES) {
  test(`the admin edits a user's name, role and organisation (${size})`, () =>
    withPage(browser, srv, { name: `admin-user-edit-${size}`, viewport }, async (page) => {
      const target = size === 'wide' ? 'web_edit' : 'hn_clerk'
      await login(page, srv, 'admin')
      await page.goto('/admin/users')
      // The table is paged; the test users are on the first page (few users in the demo).
      await page.locator(`[data-test="edit-${target}"]`).click()
      const dlg = page.locator('[data-test="edit-dialog"]')
      await dlg.locator('input[data-test="e-display"]').fill('')
      await dlg.locator('[data-test="e-submit"]').click()
      await waitForText(dlg, (t) => t.includes('请填写姓名'))
      await dlg.locator('input[data-test="e-display"]').fill('周敏')
      // A role that acts for an enterprise asks for a credit code, in Chinese, next to it.
      await pick(page, dlg.locator('[data-test="e-role"]'), '企业用户')
      await dlg.locator('input[data-test="e-credit"]').fill('9134')
      await dlg.locator('[data-test="e-submit"]').click()
      await waitForText(dlg, (t) => t.includes('统一社会信用代码应为 18 位'))
      await shot(page, `admin-user-edit-error-${size}`)
      await pick(page, dlg.locator('[data-test="e-role"]'), '督查人员')
      await pick(page, dlg.locator('[data-test="e-org"]'), '340800-DCS')
      await dlg.locator('[data-test="e-submit"]').click()
      await page.locator('.el-message--success').filter({ hasText: `已保存用户 ${target}` }).waitFor()
      const users = await apiAs(srv, 'admin', 'GET', '/api/v1/users?limit=200')
      const u = users.items.find((x) => x.username === target)
      assert.deepEqual([u.display_name, u.role, u.org], ['周敏', 'supervisor', '340800-DCS'])
      assert.equal(await overflowsX(page), false)
      await shot(page, `admin-users-${size}`)
    }))
}

test('the admin creates an API key and sees it once', () =>
  withPage(browser, srv, { name: 'admin-apikey-create', viewport: PHONE }, async (page) => {
    await login(page, srv, 'admin')
    await page.goto('/admin/apikeys')
    await page.locator('[data-test="apikey-new"]').click()
    const dlg = page.locator('[data-test="apikey-dialog"]')
    await dlg.locator('[data-test="k-submit"]').click()
    await waitForText(dlg, (t) => t.includes('请填写密钥名称') && t.includes('请选择所属机构'))
    await dlg.locator('input[data-test="k-name"]').fill('政务服务网对接')
    await pick(page, dlg.locator('[data-test="k-org"]'), '340800-QFZX')
    await dlg.locator('[data-test="k-submit"]').click()
    const key = await waitForText(page.locator('[data-test="apikey-value"]'), (t) => t.startsWith('qk_'))
    await shot(page, 'admin-apikey-created-phone')
    await page.locator('[data-test="apikey-close"]').click()
    await waitForText(page.locator('[data-test="apikey-table"]'), (t) => t.includes('政务服务网对接') && t.includes(key.slice(0, 10)))
    assert.equal(await overflowsX(page), false)
  }))

function draft(title, conditions, over = {}) {
  return { title, doc_no: '庆经信〔2026〕61号', summary: '测试', delivery: 'mian_shen', region_scope: ['3408'],
    valid_from: '2020-01-01', valid_to: '2099-12-31', rules: { conditions, amount: { fixed: 1 * W } }, ...over }
}

test('a yes/no condition starts unset and cannot be saved unset', () =>
  withPage(browser, srv, { name: 'policy-bool-unset', viewport: WIDE }, async (page) => {
    await login(page, srv, 'officer')
    await page.goto('/officer/policies/new')
    await page.locator('input[data-test="f-title"]').fill('是否条件测试政策')
    await page.locator('[data-test="conditions-start"]').click()
    const leaf = page.locator('[data-test="cnode"][data-path="conditions.all[0]"]')
    await pick(page, leaf.locator('[data-test="leaf-fact"]'), '失信被执行人')
    const radios = leaf.locator('[data-test="value-bool"] .el-radio-button')
    await radios.first().waitFor()
    assert.equal(await leaf.locator('[data-test="value-bool"] .is-active').count(), 0)
    await page.locator('[data-test="policy-save"]').click()
    await waitForText(leaf.locator('[data-test="cnode-error"]'), (t) => t.includes('选择“是”或“否”'))
    assert.match(page.url(), /\/officer\/policies\/new$/)
    await shot(page, 'policy-bool-unset-wide')
    await radios.filter({ hasText: '否' }).click()
    await waitForText(leaf.locator('[data-test="value-bool"] .is-active'), '否')
  }))

for (const [size, viewport] of SIZES) {
  test(`publishing needs 有效期 and warns when the draft matches no enterprise (${size})`, () =>
    withPage(browser, srv, { name: `policy-publish-${size}`, viewport }, async (page) => {
      const noWindow = await apiAs(srv, 'officer', 'POST', '/api/v1/policies',
        draft(`无有效期政策${size}`, { fact: 'scale', op: 'in', value: ['small', 'micro'], label: '小微企业' },
          { valid_to: undefined }))
      const nobody = await apiAs(srv, 'officer', 'POST', '/api/v1/policies',
        draft(`无人符合政策${size}`, { fact: 'rd_expense', op: 'ge', value: 100000000 * W, label: '研发费用一万亿元以上' }))
      const some = await apiAs(srv, 'officer', 'POST', '/api/v1/policies',
        draft(`小微企业政策${size}`, { fact: 'scale', op: 'in', value: ['small', 'micro'], label: '小微企业' }))
      await login(page, srv, 'officer')
      await page.goto(`/officer/policies/${noWindow.id}`)
      await page.locator('[data-test="policy-publish"]').click()
      await waitForText(page.locator('[data-test="policy-validation"]'), (t) => t.includes('发布前请填写有效期截止日期'))
      await waitForText(page.locator('[data-test="policy-state"]'), '草稿')

      await page.goto(`/officer/policies/${nobody.id}`)
      await page.locator('[data-test="policy-publish"]').click()
      const box = page.locator('.publish-confirm')
      const text = await waitForText(box, (t) => t.includes('没有企业符合该政策的条件'))
      assert.match(text, /符合条件 0 家/)
      assert.match(text, /共 \d+ 家企业/)
      assert.equal(await overflowsX(page), false)
      await shot(page, `policy-publish-nobody-${size}`)
      await box.locator('.el-message-box__btns .el-button').filter({ hasText: '取消' }).click()
      await waitForText(page.locator('[data-test="policy-state"]'), '草稿')

      await page.goto(`/officer/policies/${some.id}`)
      await page.locator('[data-test="policy-publish"]').click()
      const small = await apiAs(srv, 'officer', 'GET', `/api/v1/policies/${some.id}/reach`)
      assert.ok(small.eligible >= 1)
      await waitForText(box, (t) => t.includes(`符合条件 ${small.eligible} 家`) && !t.includes('没有企业符合'))
      await box.locator('.el-message-box__btns .el-button--primary').click()
      await waitForText(page.locator('[data-test="policy-state"]'), '已发布')
    }))
}

test('categories and calendar: errors next to the row, confirmations before a change (phone)', () =>
  withPage(browser, srv, { name: 'admin-categories-calendar', viewport: PHONE }, async (page) => {
    await login(page, srv, 'admin')
    await page.goto('/admin/categories')
    await page.locator('[data-test="cat-routes-consult"]').click()
    const rd = page.locator('[data-test="routes-dialog"]')
    await rd.locator('[data-test="route-add"]').click()
    const rows = rd.locator('.route')
    const last = (await rows.count()) - 1
    await rows.nth(last).locator('input').first().fill('34x')
    await rd.locator('[data-test="routes-save"]').click()
    await waitForText(rd.locator(`[data-test="route-err-${last}"]`), (t) => t.includes('区划前缀应为 2、4 或 6 位数字'))
    await rows.nth(last).locator('input').first().fill('340822')
    await rd.locator('[data-test="routes-save"]').click()
    await waitForText(rd.locator(`[data-test="route-err-${last}"]`), (t) => t.includes('请选择主办单位'))
    assert.equal(await overflowsX(page), false)
    await shot(page, 'admin-category-routes-error-phone')

    await page.goto('/admin/calendar')
    await page.locator('[data-test="cal-year-new"]').click()
    const yd = page.locator('[data-test="year-dialog"]')
    await yd.locator('[data-test="year-save"]').click()
    await waitForText(yd, (t) => t.includes('第 1 个假期：请选择放假日期'))
    const range = yd.locator('[data-test="year-holiday-range"] input')
    await range.nth(0).fill('2028-01-01')
    await range.nth(1).fill('2028-01-01')
    await range.nth(1).press('Enter')
    await yd.locator('[data-test="year-save"]').click()
    const box = page.locator('.el-message-box')
    await waitForText(box, (t) => t.includes('替换为本次录入的 1 天'))
    await box.locator('.el-button').filter({ hasText: '取消' }).click()
    const years = await apiAs(srv, 'admin', 'GET', '/api/v1/calendar/years')
    assert.ok(years.coverage.last_year < 2028, 'a cancelled confirmation saves nothing')
    assert.equal(await overflowsX(page), false)
  }))

// SPDX-License-Identifier: Apache-2.0
// THE POLICY JOURNEY (issue 6): a policy officer drafts a policy with the condition builder
// (server validation errors shown next to the condition they name, the rule JSON checked
// exactly), tests it against the demo enterprise (试算), publishes it, runs 免申即享 and sees
// the progress and the summary, notifies the grant; the enterprise confirms it in its own
// workspace (我的申请与兑现); the officer records the payment and sees the totals chart.
// Plus the admin workspace: create a user, edit a category's time limit, correct a
// calendar day, enter next year's holidays. Screenshots of each page.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, shot, waitForText, apiAs } from './harness.mjs'

const DEMO_CODE = '91340100131860916Y'
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

/** Picks option `text` of the el-select inside locator `sel` (typing to filter when filterable). */
// Opens an el-select and clicks the option with text. A select that was just re-rendered
// (its fact changed, so the value input is a new component) can close the dropdown it opened
// a moment ago, so a dropdown that does not show the option in time is opened again.
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
      await page.waitForTimeout(300)
    }
  }
}

test('policy journey: draft with the condition builder, 试算, publish, 免申即享, confirm, pay', { timeout: 360000 }, async () => {
  let policyId = null
  let grantId = null
  await withPage(browser, srv, { name: 'officer-journey' }, async (page) => {
    await login(page, srv, 'officer')
    await page.locator('[data-test="role-menu"]').getByText('政策管理').click()
    await page.waitForURL((u) => new URL(u).pathname === '/officer/policies')
    await waitForText(page.locator('[data-test="policy-table"]'), (t) => t.includes('专精特新'))
    await shot(page, 'officer-policies')

    await page.locator('[data-test="policy-new"]').click()
    await page.waitForURL((u) => new URL(u).pathname === '/officer/policies/new')
    await page.locator('input[data-test="f-title"]').fill('高新技术企业稳增长奖励（测试）')
    await page.locator('input[data-test="f-doc-no"]').fill('庆经信〔2026〕88号 第二条')
    await page.locator('textarea[data-test="f-summary"]').fill('对注册资本100万元以上的高新技术企业给予一次性奖励5万元。')
    // 适用区域: 安徽省 → 安庆市 through the lazy cascader (a prefix "3408").
    await page.locator('[data-test="f-region"] .el-cascader').click()
    await page.locator('.el-cascader-node').filter({ hasText: '安徽省' }).first().click()
    const aq = page.locator('.el-cascader-menu').nth(1).locator('.el-cascader-node').filter({ hasText: '安庆市' }).first()
    await aq.locator('.el-radio').click()
    await waitForText(page.locator('[data-test="f-region"]'), (t) => t.includes('安庆市') && t.includes('3408'))
    await page.keyboard.press('Escape')
    await page.locator('input[data-test="f-contact-dept"]').fill('安庆市经济和信息化局中小企业科')
    // 有效期: publishing requires both dates (issue 17 item 8).
    for (const [i, d] of [[0, '2020-01-01'], [1, '2099-12-31']]) {
      const input = page.locator('[data-test="f-valid"] input').nth(i)
      await input.fill(d)
      await input.press('Enter')
    }

    // The condition builder: all [ tags has 高新技术企业, 注册资本 ≥ (left empty first) ].
    await page.locator('[data-test="conditions-start"]').click()
    const leaf0 = page.locator('[data-test="cnode"][data-path="conditions.all[0]"]')
    await pick(page, leaf0.locator('[data-test="leaf-fact"]'), '资质标签')
    await pick(page, leaf0.locator('[data-test="value-tag"]'), '高新技术企业')
    await leaf0.locator('input[data-test="leaf-label"]').fill('高新技术企业')
    await leaf0.locator('input[data-test="leaf-source"]').fill('庆经信〔2026〕88号 第二条')
    const root = page.locator('[data-test="cnode"][data-path="conditions"]')
    await root.locator('[data-test="add-leaf"]').first().click()
    const leaf1 = page.locator('[data-test="cnode"][data-path="conditions.all[1]"]')
    await pick(page, leaf1.locator('[data-test="leaf-fact"]'), '注册资本')
    await pick(page, leaf1.locator('[data-test="leaf-op"]'), '以上（含')
    // Amount: fixed 5 万元.
    await pick(page, page.locator('[data-test="amount-kind"]'), '固定金额')
    await page.locator('[data-test="amount-fixed"] input').fill('5')

    // Saving with the value missing: the server's error shows next to that condition.
    await page.locator('[data-test="policy-save"]').click()
    const err = leaf1.locator('[data-test="cnode-error"]')
    await err.waitFor()
    assert.match(await err.innerText(), /conditions\.all\[1\]/)
    assert.equal(new URL(page.url()).pathname, '/officer/policies/new') // input kept, nothing saved
    assert.equal(await page.locator('input[data-test="f-title"]').inputValue(), '高新技术企业稳增长奖励（测试）')
    await shot(page, 'officer-policy-error')

    await leaf1.locator('[data-test="value-number"] input').fill('100')
    await leaf1.locator('input[data-test="leaf-label"]').fill('注册资本100万元以上(含)')
    // The rule JSON is exactly what rules.md describes (money in fen).
    await page.locator('[data-test="json-toggle"]').click()
    const rules = JSON.parse(await page.locator('textarea[data-test="rules-json"]').inputValue())
    assert.deepEqual(rules, {
      conditions: { all: [
        { fact: 'tags', op: 'has', value: 'high_tech', label: '高新技术企业', source: '庆经信〔2026〕88号 第二条' },
        { fact: 'registered_capital', op: 'ge', value: 100000000, label: '注册资本100万元以上(含)' },
      ] },
      amount: { fixed: 5000000 },
    })
    await shot(page, 'officer-policy-editor')
    await page.locator('[data-test="policy-save"]').click()
    await page.waitForURL((u) => /^\/officer\/policies\/\d+$/.test(new URL(u).pathname))
    policyId = new URL(page.url()).pathname.split('/').pop()
    await waitForText(page.locator('[data-test="policy-state"]'), '草稿')
    await waitForText(page.locator('[data-test="policy-conditions"]'), (t) => t.includes('注册资本100万元以上(含)') && t.includes('注册地在政策适用区域内'))

    // The stored rules round-trip: what the server keeps is what the builder made.
    const stored = await apiAs(srv, 'officer', 'GET', `/api/v1/policies/${policyId}`)
    assert.deepEqual(stored.rules, rules)
    assert.deepEqual(stored.region_scope, ['3408'])
    assert.deepEqual([stored.valid_from, stored.valid_to], ['2020-01-01', '2099-12-31'])

    // 试算 against the demo enterprise before publishing.
    await page.locator('.el-tabs__item').filter({ hasText: '试算' }).click()
    await page.locator('input[data-test="trial-code"]').fill(DEMO_CODE)
    await page.locator('[data-test="trial-run"]').click()
    await waitForText(page.locator('[data-test="trial-outcome"]'), '符合条件')
    assert.match(await page.locator('[data-test="trial-result"]').innerText(), /¥50,000\.00/)
    await shot(page, 'officer-policy-trial')

    // Publish.
    await page.locator('[data-test="policy-publish"]').click()
    await page.locator('.el-message-box__btns .el-button--primary').click()
    await waitForText(page.locator('[data-test="policy-state"]'), '已发布')

    // 免申即享: start a run, see progress and the summary.
    await page.locator('.el-tabs__item').filter({ hasText: '免申即享匹配' }).click()
    await page.locator('[data-test="run-start"]').click()
    const summary = page.locator('[data-test="run-summary"]')
    await summary.waitFor({ timeout: 30000 })
    await waitForText(page.locator('[data-test="run-progress"]'), (t) => t.includes('符合条件 1 家'))
    const st = await summary.innerText()
    assert.match(st, /符合条件\s*1 家/)
    assert.match(st, /¥50,000\.00/)
    assert.match(await page.locator('[data-test="run-by-region"]').innerText(), /宜秀区/)
    await shot(page, 'officer-policy-run')

    // The grant of this run: notify the enterprise.
    await page.locator('[data-test="run-grants"]').click()
    await page.waitForURL((u) => new URL(u).pathname === '/officer/grants')
    const table = page.locator('[data-test="grant-table"]')
    await waitForText(table, (t) => t.includes('高新技术企业稳增长奖励（测试）') && t.includes('已匹配'))
    await page.locator('[data-test="grant-notify"]').first().click()
    await page.locator('.el-message-box__btns .el-button--primary').click()
    await waitForText(table, (t) => t.includes('已告知'))
    const grants = await apiAs(srv, 'officer', 'GET', `/api/v1/grants?policy_id=${policyId}`)
    assert.equal(grants.items.length, 1)
    grantId = grants.items[0].id
  })

  // The enterprise confirms (意愿确认) in its own workspace.
  await withPage(browser, srv, { name: 'enterprise-confirm' }, async (page) => {
    await login(page, srv, 'enterprise')
    await page.goto('/enterprise/grants')
    await page.locator(`[data-test="grant-confirm-${grantId}"]`).click()
    await page.locator('[data-test="confirm-submit"]').click()
    await waitForText(page.locator('[data-test="grants-table"]'), (t) => t.includes('已确认'))
    await shot(page, 'enterprise-grant-confirmed')
  })

  // The officer records the payment and sees the totals.
  await withPage(browser, srv, { name: 'officer-pay' }, async (page) => {
    await login(page, srv, 'officer')
    await page.goto(`/officer/grants?policy_id=${policyId}`)
    const table = page.locator('[data-test="grant-table"]')
    await waitForText(table, (t) => t.includes('已确认'))
    await page.locator('[data-test="grant-pay"]').first().click()
    const dlg = page.locator('.el-dialog:visible')
    await dlg.locator('input[data-test="pay-amount"]').fill('50000')
    await dlg.locator('[data-test="pay-date"] input').fill('2026-11-23')
    await dlg.locator('[data-test="pay-date"] input').press('Enter')
    await page.locator('[data-test="pay-submit"]').click()
    await waitForText(table, (t) => t.includes('已拨付') && t.includes('¥50,000.00（2026-11-23）'))
    await shot(page, 'officer-grants')
    const g = await apiAs(srv, 'officer', 'GET', `/api/v1/grants/${grantId}`)
    assert.equal(g.state, 'paid')
    assert.equal(g.paid_amount, 5000000)
    assert.equal(g.paid_on, '2026-11-23')

    await page.locator('[data-test="role-menu"]').getByText('兑现统计').click()
    await waitForText(page.locator('[data-test="stats-totals"]'), (t) => t.includes('已拨付笔数'))
    await page.locator('[data-test="stats-chart"] svg text').first().waitFor() // drawn as SVG (lib/charts.js rules)
    assert.match(await page.locator('[data-test="stats-table"]').innerText(), /高新技术企业稳增长奖励（测试）/)
    await shot(page, 'officer-stats')

    await page.locator('[data-test="role-menu"]').getByText('申请审核').click()
    await page.locator('[data-test="app-table"]').waitFor()
    await shot(page, 'officer-applications')
  })
})

test('admin: create a user, edit a category limit, correct a calendar day, enter next year', { timeout: 240000 }, () =>
  withPage(browser, srv, { name: 'admin' }, async (page) => {
    await login(page, srv, 'admin')
    // Users.
    await page.locator('[data-test="role-menu"]').getByText('用户管理').click()
    await waitForText(page.locator('[data-test="user-table"]'), (t) => t.includes('officer'))
    await page.locator('[data-test="user-new"]').click()
    const dlg = page.locator('.el-dialog:visible')
    await dlg.locator('input[data-test="u-username"]').fill('kjj_officer2')
    await dlg.locator('input[data-test="u-display"]').fill('科技局政策专员')
    await dlg.locator('input[data-test="u-password"]').fill('secret-pass-123')
    await pick(page, dlg.locator('[data-test="u-role"]'), '政策管理人员')
    await pick(page, dlg.locator('[data-test="u-org"]'), '安庆市科学技术局')
    await dlg.locator('[data-test="u-submit"]').click()
    await dlg.waitFor({ state: 'hidden' })
    const users = await apiAs(srv, 'admin', 'GET', '/api/v1/users?limit=500')
    const u = users.items.find((x) => x.username === 'kjj_officer2')
    assert.ok(u, 'the new user exists')
    assert.equal(u.role, 'policy_officer')
    assert.equal(u.org, '340800-KJJ')
    await shot(page, 'admin-users')

    // Organisations.
    await page.locator('[data-test="role-menu"]').getByText('组织机构').click()
    await waitForText(page.locator('[data-test="org-tree"]'), (t) => t.includes('安庆市经济和信息化局'))
    await shot(page, 'admin-orgs')

    // A category's time limit.
    await page.locator('[data-test="role-menu"]').getByText('诉求类别与时限').click()
    await page.locator('[data-test="cat-edit-consult"]').click()
    const cd = page.locator('.el-dialog:visible')
    await cd.locator('[data-test="lim-normal-reply"] input').fill('4')
    await cd.locator('[data-test="cat-save"]').click()
    await waitForText(page.locator('[data-test="limit-consult-normal"]'), (t) => t.includes('/ 4日 /'))
    const cat = await apiAs(srv, 'admin', 'GET', '/api/v1/categories/consult')
    assert.equal(cat.limits.normal.reply_days, 4)
    await shot(page, 'admin-categories')

    // A calendar correction: 2026-12-28 (a Monday) becomes a day off.
    await page.locator('[data-test="role-menu"]').getByText('工作日历').click()
    await page.locator('[data-test="cal-special"]').waitFor()
    await page.locator('[data-test="cal-day-new"]').click()
    const dd = page.locator('.el-dialog:visible')
    await dd.locator('[data-test="day-date"] input').fill('2026-12-28')
    await dd.locator('[data-test="day-date"] input').press('Enter')
    await dd.locator('input[data-test="day-name"]').fill('防汛应急调休')
    await dd.locator('[data-test="day-save"]').click()
    await dd.waitFor({ state: 'hidden' })
    await waitForText(page.locator('[data-test="cal-special"]'), (t) => t.includes('2026-12-28') && t.includes('防汛应急调休'))
    const day = await apiAs(srv, 'admin', 'GET', '/api/v1/calendar?from=2026-12-28&to=2026-12-28')
    assert.equal(day.days[0].working, false)
    await shot(page, 'admin-calendar')

    // Next year's notice: 元旦 2027-01-01..03 off.
    await page.locator('[data-test="cal-year-new"]').click()
    const yd = page.locator('.el-dialog:visible')
    await yd.locator('input[data-test="year-source"]').fill('国办发明电〔2026〕12号')
    const range = yd.locator('[data-test="year-holiday-range"] input')
    await range.nth(0).fill('2027-01-01')
    await range.nth(1).fill('2027-01-03')
    await range.nth(1).press('Enter')
    await yd.locator('[data-test="year-save"]').click()
    // Replacing a year's arrangement is confirmed (issue 17 item 8).
    await page.locator('.el-message-box__btns .el-button--primary').click()
    await yd.waitFor({ state: 'hidden' })
    const years = await apiAs(srv, 'admin', 'GET', '/api/v1/calendar/years')
    assert.equal(years.coverage.last_year, 2027)
    const ny = await apiAs(srv, 'admin', 'GET', '/api/v1/calendar?from=2027-01-01&to=2027-01-04')
    assert.deepEqual(ny.days.map((d) => d.working), [false, false, false, true])
    await waitForText(page.locator('[data-test="cal-special"]'), (t) => t.includes('2027-01-01') && t.includes('元旦'))
    await shot(page, 'admin-calendar-2027')
  }))

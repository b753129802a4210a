// SPDX-License-Identifier: Apache-2.0
// The public pages (no login): 政策超市 search, filters and detail with conditions and 申兑指南;
// 政策计算器 with outcomes and ranked missing facts; both at 375 px without sideways overflow.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, shot, overflowsX, waitForText, PHONE } from './harness.mjs'

/** An el-input's native input or textarea (Element Plus puts data-test on the native element). */
const field = (t) => `:is(input[data-test="${t}"], [data-test="${t}"] input, textarea[data-test="${t}"], [data-test="${t}"] textarea)`

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

for (const [tag, viewport] of [['desktop', undefined], ['phone', PHONE]]) {
  test(`policy supermarket: search, filter and detail (${tag})`, () =>
    withPage(browser, srv, { name: `public-policies-${tag}`, viewport }, async (page) => {
      await page.goto('/policies')
      const list = page.locator('[data-test="policy-list"]')
      await page.locator('[data-test="policy-card"]').first().waitFor()
      const all = await page.locator('[data-test="policy-card"]').count()
      assert.ok(all >= 20, `cards: ${all}`)
      await shot(page, `public-policies-${tag}`)
      assert.equal(await overflowsX(page), false, 'the list overflows sideways')
      // Chinese full-text search: 研发 finds the R&D subsidy and not the export award.
      await page.locator(field('policy-search')).fill('研发')
      await page.locator('[data-test="policy-search-go"]').click()
      await waitForText(list, (t) => t.includes('研发投入补贴') && !t.includes('外贸出口奖励'))
      // Filter by delivery mode: 即申即享 only.
      await page.locator('[data-test="filter-delivery"]').click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: '即申即享' }).click()
      await waitForText(list, (t) => t.includes('科技型中小企业研发费用奖补') && !t.includes('免申即享'))
      assert.match(page.url(), /delivery=ji_shen/)
      // Detail: conditions for people, 文号 and article, amount, 申兑指南.
      await page.locator('[data-test="policy-card"]', { hasText: '科技型中小企业研发费用奖补' }).click()
      await page.locator('[data-test="policy-title"]').waitFor()
      const cond = await waitForText(page.locator('[data-test="policy-conditions"]'), (t) => t.includes('入库科技型中小企业'))
      assert.match(cond, /依据：庆政〔2024〕21号 第六条/)
      assert.match(cond, /纳税信用/)
      assert.match(await page.locator('[data-test="policy-amount"]').innerText(), /按研发费用的 5% 计算，最高 20\.00万元/)
      const guide = await page.locator('[data-test="policy-guide"]').innerText()
      assert.match(guide, /申请材料/)
      assert.match(guide, /咨询电话/)
      await shot(page, `public-policy-${tag}`)
      assert.equal(await overflowsX(page), false, 'the detail overflows sideways')
    }))
}

test('policy calculator: outcomes, reasons and ranked missing facts', () =>
  withPage(browser, srv, { name: 'public-calculator', viewport: PHONE }, async (page) => {
    await page.goto('/calculator')
    // 注册地 by name: "宜秀" finds 安徽省 / 安庆市 / 宜秀区 (340811).
    await page.locator('[data-test="fact-region"] input:not([disabled])').click()
    await page.locator('[data-test="fact-region"] input').fill('宜秀')
    await page.locator('.el-cascader__suggestion-item:visible', { hasText: '宜秀区' }).first().click()
    await page.locator('[data-test="fact-scale"]').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: '小型' }).click()
    await page.locator('[data-test="fact-tags"]').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: '高新技术企业' }).click()
    await page.keyboard.press('Escape')
    await page.locator(field('fact-revenue')).fill('3000')
    // Add 研发费用 (money typed in 万元) through the fact picker.
    await page.locator('[data-test="fact-picker"]').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: /^研发费用$/ }).click()
    await page.locator(field('fact-rd_expense')).fill('150')
    await page.locator('[data-test="calc-submit"]').click()
    const res = page.locator('[data-test="calc-result"]')
    await res.waitFor()
    const counts = await page.locator('[data-test="match-counts"]').innerText()
    assert.match(counts, /可享受/)
    // 长三角科技创新券 (高企 + 小微, province-wide) is eligible with the facts given.
    const eligible = await page.locator('[data-test="group-eligible"]').innerText()
    assert.match(eligible, /长三角科技创新券/)
    const missing = await page.locator('[data-test="missing-ranked"]').innerText()
    assert.match(missing, /失信被执行人/)
    assert.match(missing, /影响 \d+ 项政策/)
    // Why: open 研发投入补贴 and read the explanation with the typed amount.
    const rd = page.locator('[data-test="group-possibly_eligible"] .el-collapse-item', { hasText: '研发投入补贴' })
    await rd.locator('.el-collapse-item__header').click()
    await waitForText(rd, (t) => t.includes('150万元') && t.includes('缺少数据'))
    // A missing fact's 填写 button adds its input to the form.
    await page.locator('[data-test="add-missing-dishonest_executee"]').click()
    await page.locator('[data-test="fact-dishonest_executee"]').waitFor()
    await shot(page, 'public-calculator-phone')
    assert.equal(await overflowsX(page), false, 'the calculator overflows sideways')
  }))

test('calculator shows an error next to a fact it cannot read', () =>
  withPage(browser, srv, { name: 'public-calculator-error' }, async (page) => {
    await page.goto('/calculator')
    await page.locator(field('fact-revenue')).fill('三千万')
    await page.locator('[data-test="calc-submit"]').click()
    await waitForText(page.locator('[data-test="row-revenue"]'), (t) => t.includes('应为金额数字（万元）'))
    assert.equal(await page.locator(field('fact-revenue')).inputValue(), '三千万')
    assert.equal(await page.locator('[data-test="calc-result"]').count(), 0, 'no answer for an unreadable fact')
    await shot(page, 'public-calculator-desktop')
  }))

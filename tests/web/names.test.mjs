// SPDX-License-Identifier: Apache-2.0
// Issue 17 item 4, "Names, not codes": regions and industries are chosen by name in
// cascaders searchable by name and by pinyin initials (calculator, 政策超市 filter); a
// calculator field that cannot be read is an error next to it, never a silent answer; the
// audit log reads as Chinese sentences; no page shows "null" or a developer path.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { startServer, launchBrowser, withPage, login, shot, overflowsX, waitForText, apiAs, PHONE, DESKTOP, ROOT }
  from './harness.mjs'

const field = (t) => `:is(input[data-test="${t}"], [data-test="${t}"] input, textarea[data-test="${t}"], [data-test="${t}"] textarea)`

let srv
let browser
let demand

before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
  demand = await apiAs(srv, 'enterprise', 'POST', 'demands', {
    category: 'policy', urgency: 'normal', title: '研发费用补贴兑现进度查询',
    content: '我公司 2025 年申报的研发费用补贴至今未到账，请协助查询兑现进度。',
  })
  await apiAs(srv, 'clerk', 'POST', `demands/${demand.id}/actions`, { action: 'accept' })
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

/** Fails when the page's text shows a null or a developer path. */
async function assertNamesOnly(page, where) {
  const text = await page.locator('body').innerText()
  assert.doesNotMatch(text, /\bnull\b|undefined|NaN/, `${where} shows null/undefined/NaN`)
  assert.ok(!text.includes('docs/internals'), `${where} shows a developer path`)
}

/** Types keyword into the cascader under sel and picks the suggestion containing pick. */
async function searchPick(page, sel, keyword, pick) {
  const input = page.locator(`${sel} .el-cascader input`).first()
  await page.locator(`${sel} .el-cascader input:not([disabled])`).first().waitFor()
  await input.click()
  await input.fill(keyword)
  const item = page.locator('.el-cascader__suggestion-item:visible', { hasText: pick }).first()
  await item.waitFor()
  const shown = await page.locator('.el-cascader__suggestion-list:visible').innerText()
  await item.click()
  return shown
}

for (const [tag, viewport] of [['desktop', { width: 1440, height: 900 }], ['phone', PHONE]]) {
  test(`calculator: region and industry by name and pinyin initials (${tag})`, () =>
    withPage(browser, srv, { name: `names-calculator-${tag}`, viewport }, async (page) => {
      await page.goto('/calculator')
      // By name: 宜秀 → 安徽省 / 安庆市 / 宜秀区.
      let shown = await searchPick(page, '[data-test="fact-region"]', '宜秀', '宜秀区')
      assert.match(shown, /安徽省 \/ 安庆市 \/ 宜秀区/)
      assert.equal(await page.locator('[data-test="fact-region"] .el-cascader input').inputValue(),
        '安徽省 / 安庆市 / 宜秀区')
      // By pinyin initials: "aqs" finds 安庆市 (a city may be chosen: any level).
      shown = await searchPick(page, '[data-test="fact-region"]', 'aqs', /^\s*安徽省 \/ 安庆市\s*$/)
      assert.match(shown, /安徽省 \/ 安庆市/)
      assert.equal(await page.locator('[data-test="fact-region"] .el-cascader input').inputValue(), '安徽省 / 安庆市')
      // The industry (a 小类) through the fact picker, by initials: jcrjkf → 基础软件开发.
      await page.locator('[data-test="fact-picker"]').click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: /^国民经济行业$/ }).click()
      shown = await searchPick(page, '[data-test="fact-industry"]', 'jcrjkf', '基础软件开发')
      assert.match(shown, /信息传输、软件和信息技术服务业/)
      // The match runs with the chosen codes (no error, an answer).
      await page.locator('[data-test="calc-submit"]').click()
      await page.locator('[data-test="calc-result"]').waitFor()
      // Measured once the cascader panels have finished closing (they fade out).
      await page.waitForFunction(() => ![...document.querySelectorAll('.code-cascader__popper')]
        .some((el) => getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0))
      assert.equal(await overflowsX(page), false, 'the calculator overflows sideways')
      await shot(page, `names-calculator-${tag}`)
      await assertNamesOnly(page, 'calculator')
    }))

  test(`calculator: an unreadable field is an error next to it (${tag})`, () =>
    withPage(browser, srv, { name: `names-calculator-error-${tag}`, viewport }, async (page) => {
      await page.goto('/calculator')
      await page.locator(field('fact-revenue')).fill('三千万')
      await page.locator('[data-test="calc-submit"]').click()
      await waitForText(page.locator('[data-test="row-revenue"]'), (t) => t.includes('营业收入应为金额数字（万元）'))
      assert.equal(await page.locator('[data-test="calc-result"]').count(), 0)
      assert.ok(!(await page.locator('body').innerText()).includes('可享受'), 'an answer was shown anyway')
      await shot(page, `names-calculator-error-${tag}`)
    }))

  test(`policy supermarket: the region filter by pinyin initials (${tag})`, () =>
    withPage(browser, srv, { name: `names-policies-${tag}`, viewport }, async (page) => {
      await page.goto('/policies')
      await page.locator('[data-test="policy-card"]').first().waitFor()
      const shown = await searchPick(page, '[data-test="filter-region"]', 'yxq', '宜秀区')
      assert.match(shown, /安庆市 \/ 宜秀区/)
      await page.waitForURL((u) => new URL(u).searchParams.get('region') === '340811')
      await page.locator('[data-test="policy-card"]').first().waitFor()
      assert.equal(await overflowsX(page), false, 'the supermarket overflows sideways')
      await shot(page, `names-policies-${tag}`)
      await assertNamesOnly(page, '政策超市')
    }))
}

test('audit log: Chinese sentences with names (admin 工作台)', () =>
  withPage(browser, srv, { name: 'names-audit', viewport: { width: 1440, height: 900 } }, async (page) => {
    const users = (await apiAs(srv, 'admin', 'GET', 'users?limit=100')).items
    const clerk = users.find((u) => u.username === 'clerk')
    await login(page, srv, 'admin')
    const box = page.locator('[data-test="recent-audit"]')
    const want = `${clerk.role_label} ${clerk.display_name} 受理了诉求 ${demand.no}`
    const text = await waitForText(box, (t) => t.includes(want) && t.includes('登录了系统'))
    assert.doesNotMatch(text, /user:|session\.login|demand\.accept/, 'codes in the audit log')
    await shot(page, 'names-audit')
    await assertNamesOnly(page, 'admin home')
  }))

test('officer pages: no "第 null 版" and no developer paths', () =>
  withPage(browser, srv, { name: 'names-officer', viewport: DESKTOP }, async (page) => {
    await login(page, srv, 'officer')
    await page.goto('/officer/policies/new')
    await page.locator('input[data-test="f-title"]').waitFor()
    await assertNamesOnly(page, 'policy editor')
    // The editor's region scope by initials: "aqs" → 安庆市 (stored as the prefix 3408).
    {
      const shown = await searchPick(page, '[data-test="f-region"]', 'aqs', /^\s*安徽省 \/ 安庆市\s*$/)
      assert.match(shown, /安徽省 \/ 安庆市/)
      await waitForText(page.locator('[data-test="f-region"]'), (t) => t.includes('安徽省安庆市') && t.includes('3408'))
    }
    const list = await apiAs(srv, 'officer', 'GET', 'policies?limit=5')
    await page.goto(`/officer/policies/${list.items[0].id}`)
    await page.locator('.page-title, h1').first().waitFor()
    await waitForText(page.locator('body'), (t) => t.includes('第 1 版'))
    await assertNamesOnly(page, 'policy view')
    await shot(page, 'names-officer-policy')
  }))

test('every code of the served trees has its pinyin initials (web/src/lib/initials.json is current)', async () => {
  const initials = JSON.parse(fs.readFileSync(path.join(ROOT, 'web', 'src', 'lib', 'initials.json'), 'utf-8'))
  for (const kind of ['regions', 'industries']) {
    const tree = (await (await fetch(`${srv.url}/api/v1/codes/${kind}/tree`)).json()).items
    const table = initials[kind === 'regions' ? 'region' : 'industry']
    const missing = []
    let n = 0
    const walk = (items) => {
      for (const it of items) {
        n++
        if (!/^[a-z]+$/.test(table[it.code] || '')) missing.push(`${it.code} ${it.name}`)
        if (it.children) walk(it.children)
      }
    }
    walk(tree)
    assert.deepEqual(missing, [], `${kind}: codes without initials (run make initials)`)
    assert.equal(n, Object.keys(table).length, `${kind}: initials.json has codes the tree does not`)
  }
  // Polyphones read in context.
  assert.equal(initials.region['500000'], 'cqs') // 重庆市
  assert.equal(initials.region['430100'], 'css') // 长沙市
  assert.equal(initials.region['340811'], 'yxq') // 宜秀区
})

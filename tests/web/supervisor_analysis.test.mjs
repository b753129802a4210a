// SPDX-License-Identifier: Apache-2.0
// Supervisor analysis (issue 17 item 9): 分析研判 with its breakdown charts, 高频诉求 and the
// ranking; the drill-down from an organisation row (考核统计 and the ranking) to its demands;
// the printable 通报 and 月度报告; and charts whose labels never overlap, at 375 and 1440 px.
// The charts are drawn as SVG (ChartBox renderer="svg"), so the test measures every text of
// each chart: no two bounding boxes may intersect, and each chart fits its card.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, shot, settle, apiAs, testDay } from './harness.mjs'

const PHONE = { width: 375, height: 812 }
const WIDE = { width: 1440, height: 900 }
const JXJ = '340800-JXJ'
const FGW = '340800-FGW'
// Long titles and many categories: the labels that used to collide.
const CATEGORIES = ['policy', 'financing', 'employment', 'land', 'approval', 'utilities', 'logistics', 'ip', 'other']

let srv
let browser
const FROM = testDay(-30)
const TO = testDay(1)

before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
  let i = 0
  for (const category of CATEGORIES) {
    const lead = i % 3 === 2 ? FGW : JXJ
    const d = await apiAs(srv, 'enterprise', 'POST', 'demands', {
      category, urgency: 'normal', title: `关于${category}方面问题的企业诉求（第${++i}件），请尽快协调解决`,
      content: '企业反映的问题，请相关部门协调解决。', contact_phone: '13905561234',
    })
    await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'accept' })
    await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'dispatch', lead })
    if (lead === JXJ && i % 2) {
      await apiAs(srv, 'handler', 'POST', `demands/${d.id}/actions`, { action: 'sign' })
      await apiAs(srv, 'handler', 'POST', `demands/${d.id}/actions`, { action: 'reply', note: '已答复' })
      await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'review_accept' })
      await apiAs(srv, 'enterprise', 'POST', `demands/${d.id}/actions`, { action: 'rate', rating: i % 4 ? 5 : 2, note: '评价' })
    }
  }
  for (let k = 0; k < 3; k++) {
    await apiAs(srv, 'enterprise', 'POST', 'demands', {
      category: 'utilities', urgency: 'normal', title: '园区停电频繁影响生产', content: '园区近期频繁停电。',
    })
  }
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

async function open(page, path) {
  await page.goto(path)
  await page.locator('.layout__main').first().waitFor()
  await page.waitForLoadState('networkidle')
  await settle(page)
}

/**
 * The texts of the SVG chart in card `sel`: how many, the pairs whose bounding boxes
 * intersect (more than half a pixel each way), and whether the chart lies inside its card
 * and the viewport.
 */
async function chartLabels(page, sel) {
  const card = page.locator(sel)
  await card.locator('svg text').first().waitFor()
  await settle(page)
  return card.evaluate((root) => {
    const boxes = [...root.querySelectorAll('svg text')]
      .map((t) => ({ text: t.textContent.trim(), r: t.getBoundingClientRect() }))
      .filter((b) => b.text && b.r.width > 0 && b.r.height > 0)
    const overlaps = []
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].r
        const b = boxes[j].r
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left)
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)
        if (x > 0.5 && y > 0.5) overlaps.push(`${boxes[i].text} × ${boxes[j].text}`)
      }
    }
    const svg = root.querySelector('svg').getBoundingClientRect()
    const body = root.querySelector('.el-card__body').getBoundingClientRect()
    const vw = document.scrollingElement.clientWidth
    return { n: boxes.length, overlaps, texts: boxes.map((b) => b.text),
      fits: svg.left >= body.left - 0.5 && svg.right <= body.right + 0.5 && svg.right <= vw + 0.5 }
  })
}

for (const [name, viewport] of [['phone', PHONE], ['wide', WIDE]]) {
  test(`分析研判 at ${viewport.width} px: four breakdowns, labels never overlap, charts fit their cards`, () =>
    withPage(browser, srv, { name: `analysis-${name}`, viewport }, async (page) => {
      await login(page, srv, 'supervisor')
      await open(page, `/supervisor/analysis?from=${FROM}&to=${TO}`)
      for (const by of ['category', 'region', 'channel', 'month']) {
        const r = await chartLabels(page, `[data-test="chart-${by}"]`)
        assert.ok(r.n > 0, `${by}: the chart has no labels`)
        assert.deepEqual(r.overlaps, [], `${by}: labels overlap at ${viewport.width} px`)
        assert.ok(r.fits, `${by}: the chart is wider than its card`)
      }
      // Every category has its own label on the category chart (names, not codes).
      const cat = await chartLabels(page, '[data-test="chart-category"]')
      const names = await apiAs(srv, 'supervisor', 'GET', `stats/demand-breakdown?by=category&from=${FROM}&to=${TO}`)
      assert.equal(names.items.length, CATEGORIES.length)
      for (const it of names.items)
        assert.ok(cat.texts.some((t) => it.label.startsWith(t.replace(/…$/, ''))), `no label for ${it.label}`)
      // 高频诉求 first: the title submitted three times.
      const top = page.locator('[data-test="top-table"] tr.el-table__row').first()
      assert.match(await top.innerText(), /园区停电频繁影响生产/)
      const [sw, cw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth])
      assert.ok(sw <= cw, `the page is ${sw}px wide in ${cw}px`)
      await shot(page, `analysis-${name}`)
      // 考核统计's charts follow the same rules.
      await open(page, `/supervisor/stats?from=${FROM}&to=${TO}`)
      for (const sel of ['[data-test="trend-chart"]', '[data-test="satisfaction-chart"]']) {
        const r = await chartLabels(page, sel)
        assert.ok(r.n > 0, `${sel}: no labels`)
        assert.deepEqual(r.overlaps, [], `${sel}: labels overlap at ${viewport.width} px`)
        assert.ok(r.fits, `${sel}: the chart is wider than its card`)
      }
      await shot(page, `stats-${name}`)
    }))
}

test('drill-down: an organisation row of 考核统计 and of the ranking lists its demands', () =>
  withPage(browser, srv, { name: 'drill-down', viewport: PHONE }, async (page) => {
    const stats = await apiAs(srv, 'supervisor', 'GET', `stats/demands?from=${FROM}&to=${TO}`)
    const row = stats.items.find((it) => it.org.code === JXJ)
    assert.ok(row && row.dispatched > 0)
    await login(page, srv, 'supervisor')
    await open(page, `/supervisor/stats?from=${FROM}&to=${TO}`)
    await page.locator(`[data-test="drill-${JXJ}"]`).click()
    await page.waitForURL((u) => new URL(u).pathname === '/supervisor/demands')
    const url = new URL(page.url())
    assert.equal(url.searchParams.get('lead_org'), JXJ)
    assert.equal(url.searchParams.get('dispatched_from'), FROM)
    await page.waitForLoadState('networkidle')
    const rows = page.locator('[data-test="drill-table"] tr.el-table__row')
    await rows.first().waitFor()
    assert.equal(await rows.count(), row.dispatched)
    assert.match(await page.locator('[data-test="drill-title"]').innerText(), /安庆市经济和信息化局/)
    await shot(page, 'drill-down-phone')
    // From the ranking of 分析研判: 发改委's row.
    await open(page, `/supervisor/analysis?from=${FROM}&to=${TO}`)
    const fgw = stats.items.find((it) => it.org.code === FGW)
    await page.locator('[data-test="ranking-table"] tr.el-table__row').filter({ hasText: fgw.org.name }).click()
    await page.waitForURL((u) => new URL(u).searchParams.get('lead_org') === FGW)
    await page.waitForLoadState('networkidle')
    await rows.first().waitFor()
    assert.equal(await rows.count(), fgw.dispatched)
  }))

test('通报 and 月度报告 are printable documents', () =>
  withPage(browser, srv, { name: 'print-docs', viewport: WIDE }, async (page) => {
    const rank = await apiAs(srv, 'supervisor', 'GET', `stats/demand-ranking?from=${FROM}&to=${TO}`)
    assert.ok(rank.items.length >= 2)
    await login(page, srv, 'supervisor')
    await open(page, `/supervisor/notice?from=${FROM}&to=${TO}`)
    const doc = page.locator('[data-test="notice-doc"]')
    await doc.waitFor()
    const names = await page.locator('[data-test="notice-table"] tbody tr td:nth-child(2)').allInnerTexts()
    assert.deepEqual(names, rank.items.map((r) => r.org.name))
    assert.match(await doc.innerText(), /督查室/) // the issuing organisation, with the seal's place
    await page.emulateMedia({ media: 'print' })
    assert.equal(await page.locator('.layout__header').isVisible(), false)
    assert.equal(await page.locator('[data-test="print"]').isVisible(), false)
    assert.ok(await doc.isVisible())
    await shot(page, 'notice-print')
    await page.emulateMedia({ media: 'screen' })
    // The month of the data: its figures, ranking and 高频诉求.
    const month = testDay(0).slice(0, 7)
    const [mFrom, mTo] = [`${month}-01`, testDay(0)]
    const s = await apiAs(srv, 'supervisor', 'GET', `stats/demands?from=${mFrom}&to=${mTo}`)
    await open(page, `/supervisor/report?month=${month}`)
    const report = page.locator('[data-test="report-doc"]')
    await report.waitFor()
    assert.match(await page.locator('[data-test="report-figures"]').innerText(), new RegExp(`交办诉求\\s+${s.total.dispatched} 件`))
    assert.match(await page.locator('[data-test="report-top"]').innerText(), /园区停电频繁影响生产/)
    assert.ok((await page.locator('[data-test="report-ranking"] tbody tr').count()) >= 2)
    await page.emulateMedia({ media: 'print' })
    assert.equal(await page.locator('.layout__aside').isVisible(), false)
    await shot(page, 'report-print')
  }))

// The officer's 兑现统计 chart follows the same rules (horizontal bars, names truncated on
// their own rows, a scrolling legend): no two texts overlap at 375 or 1440 px.
for (const [name, viewport] of [['phone', PHONE], ['wide', WIDE]]) {
  test(`兑现统计 at ${viewport.width} px: the officer's chart labels never overlap`, () =>
    withPage(browser, srv, { name: `officer-stats-${name}`, viewport }, async (page) => {
      if (!officerPolicies) {
        officerPolicies = []
        await apiAs(srv, 'admin', 'PUT', 'enterprises/91340100131860916Y/facts',
          { facts: [{ fact: 'revenue', value: 300000000, as_of: '2025-12-31' }] })
        for (const title of ['企业研发投入后补助（长标题用于检查截断显示效果）', '技术改造设备补助', '专精特新奖励']) {
          const p = await apiAs(srv, 'officer', 'POST', 'policies', {
            title, delivery: 'mian_shen', region_scope: ['3408'], valid_from: '2020-01-01', valid_to: '2099-12-31',
            rules: { conditions: { all: [{ fact: 'revenue', op: 'ge', value: 1 }] }, amount: { fixed: 1000000 } },
          })
          await apiAs(srv, 'officer', 'POST', `policies/${p.id}/actions`, { action: 'publish' })
          let run = await apiAs(srv, 'officer', 'POST', `policies/${p.id}/runs`)
          for (let i = 0; i < 200 && run.state !== 'done' && run.state !== 'failed'; i++) {
            await new Promise((r) => setTimeout(r, 100))
            run = await apiAs(srv, 'officer', 'GET', `policies/${p.id}/runs/${run.id}`)
          }
          assert.equal(run.state, 'done')
          officerPolicies.push(p.id)
        }
      }
      const st = await apiAs(srv, 'officer', 'GET', 'stats/policies?by=policy')
      assert.ok(st.by_policy.length >= 3, JSON.stringify(st.by_policy))
      await login(page, srv, 'officer')
      await open(page, '/officer/stats')
      const r = await chartLabels(page, '[data-test="stats-chart-card"]')
      assert.ok(r.n >= 3, JSON.stringify(r.texts))
      assert.deepEqual(r.overlaps, [], `labels overlap at ${viewport.width} px`)
      assert.ok(r.fits, 'the chart leaves its card')
      await shot(page, `officer-stats-chart-${name}`)
    }))
}
let officerPolicies

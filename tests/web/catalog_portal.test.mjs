// SPDX-License-Identifier: Apache-2.0
// The public 办事指南 portal (issue 18 item 9), without login, at 1440×900 and 375×812:
// the login page's link, browsing by life stage, department, 一件事 and 跨省通办, the search
// (a 俗称 finds its item; a query that finds nothing says so and offers ways on), a guide
// page with every element of its GUIDE, its version and dates and schema.org markup, a
// 一件事 page, and the enterprise 工作台's link. Data: the starting catalogue of `qifu demo`.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, shot, overflowsX, waitForText } from './harness.mjs'

/** An el-input by its data-test (Element Plus puts the attribute on the <input> itself). */
const field = (t) => `:is(input[data-test="${t}"], [data-test="${t}"] input)`

const SIZES = [
  { tag: '1440', viewport: { width: 1440, height: 900 } },
  { tag: '375', viewport: { width: 375, height: 812 } },
]

let srv, browser
before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  await srv?.stop()
})

/** A public GET of the API from the test. */
async function get(p) {
  const r = await fetch(`${srv.url}/api/v1${p}`)
  assert.equal(r.status, 200, `GET ${p}: ${r.status}`)
  return r.json()
}
/** The first published item whose name includes text. */
async function itemNamed(text, query = '') {
  const list = await get(`/service-items?limit=500${query}`)
  const row = list.items.find((r) => (r.name || '').includes(text) || (r.item_name || '').includes(text))
  assert.ok(row, `no published item named ${text}`)
  return row
}
async function noOverflow(page, what) {
  assert.equal(await overflowsX(page), false, `${what} is wider than the screen`)
}

for (const { tag, viewport } of SIZES) {
  test(`${tag}: from the login page, browse by life stage, department, 一件事 and 跨省通办`, () =>
    withPage(browser, srv, { viewport, name: `guide-browse-${tag}` }, async (page) => {
      await page.goto('/login')
      await page.locator('[data-test="login-link-guide"]').click()
      await page.waitForURL((u) => new URL(u).pathname === '/guide')
      const labels = (await get('/catalog/labels')).life_stages
      // Six stages of the life cycle, named by the server.
      const tiles = page.locator('[data-test^="guide-stage-"]')
      await waitForText(page.locator('[data-test="guide-stage-zhunru"]'), (t) => t.includes(labels.zhunru))
      assert.equal(await tiles.count(), 6)
      for (const code of ['zhunru', 'zhaopin', 'nashui', 'jingying', 'gongcheng', 'zhuxiao'])
        assert.match(await page.locator(`[data-test="guide-stage-${code}"]`).innerText(), new RegExp(labels[code]))
      await noOverflow(page, 'the portal')

      // 准入准营: the list is the API's list of that stage.
      await page.locator('[data-test="guide-stage-zhunru"]').click()
      const want = (await get('/service-items?life_stage=zhunru&limit=20')).items.map((r) => r.name || r.item_name)
      assert.ok(want.length > 0, 'no 准入准营 items')
      await page.locator('[data-test="guide-item"]').first().waitFor()
      await waitForText(page.locator('[data-test="guide-list"]'), (t) => want.every((n) => t.includes(n)))
      await noOverflow(page, 'the 准入准营 list')
      await shot(page, `guide-stage-${tag}`)

      // By department: every listed item is that department's.
      await page.locator('.gh__tabs').getByText('按部门', { exact: true }).click()
      const dept = page.locator('[data-test="guide-dept"]').first()
      await dept.waitFor()
      const deptName = (await dept.innerText()).replace(/（\d+）$/, '')
      await dept.click()
      const ofDept = (await get(`/service-items?dept=${encodeURIComponent(deptName)}&limit=20`)).items
      assert.ok(ofDept.length > 0 && ofDept.every((r) => r.dept === deptName))
      await waitForText(page.locator('[data-test="guide-list"]'), (t) => ofDept.every((r) => t.includes(r.name || r.item_name)))
      await noOverflow(page, 'the department list')

      // 跨省通办: the items handled across provinces, each marked.
      await page.locator('.gh__tabs').getByText('跨省通办', { exact: true }).click()
      const cross = (await get('/service-items?cross=1&limit=20')).items
      assert.ok(cross.length > 0, 'no 跨省通办 items')
      await waitForText(page.locator('[data-test="guide-list"]'), (t) => cross.every((r) => t.includes(r.name || r.item_name)))
      assert.equal(await page.locator('[data-test="guide-item"]').count(), cross.length)
      await noOverflow(page, 'the 跨省通办 list')

      // 一件事: the bundle 企业开办一件事 opens with its 六个一, merged form and materials.
      await page.locator('.gh__tabs').getByText('一件事', { exact: true }).click()
      await page.locator('[data-test="guide-bundle"]').first().waitFor()
      await page.locator('[data-test="guide-bundle"]', { hasText: '企业开办一件事' }).click()
      await page.waitForURL((u) => new URL(u).pathname.startsWith('/guide/bundles/'))
      await page.locator('[data-test="bundle-doc"]').waitFor()
      assert.equal(await page.locator('[data-test^="six-"]').count(), 6)
      assert.ok(await page.locator('[data-test="bundle-materials"] .el-table__body tr').count() > 0)
      assert.ok(await page.locator('[data-test="bundle-form"] .el-table__body tr').count() > 0)
      assert.ok(await page.locator('[data-test="bundle-members"] li').count() >= 6)
      await noOverflow(page, 'the 一件事 page')
      await shot(page, `guide-bundle-${tag}`)
    }))

  test(`${tag}: search finds an item by its 俗称 and says when it finds nothing`, () =>
    withPage(browser, srv, { viewport, name: `guide-search-${tag}` }, async (page) => {
      await page.goto('/guide')
      await page.locator(field('guide-search')).fill('开饭店')
      await page.locator('[data-test="guide-search-go"]').click()
      await page.waitForURL((u) => new URL(u).searchParams.get('q') === '开饭店')
      const results = page.locator('[data-test="guide-results"]')
      await waitForText(results, (t) => t.includes('食品经营许可'))
      // The hit says it was found by its 俗称.
      await waitForText(page.locator('[data-test="guide-item"]', { hasText: '食品经营许可' }).first(), (t) => t.includes('俗称“开饭店”'))
      await noOverflow(page, 'the results')

      await page.locator(field('guide-search')).fill('量子纠缠望远镜')
      await page.locator('[data-test="guide-search-go"]').click()
      const none = page.locator('[data-test="guide-none"]')
      await none.waitFor()
      assert.match(await none.innerText(), /没有找到与“量子纠缠望远镜”相关的事项/)
      assert.equal(await page.locator('[data-test="guide-item"]').count(), 0)
      // The ways on: the 一件事 bundles and the life stages, clickable.
      await page.locator('[data-test="guide-suggestions"]', { hasText: '企业开办一件事' }).waitFor()
      await none.getByRole('button', { name: (await get('/catalog/labels')).life_stages.zhunru }).click()
      await page.locator('[data-test="guide-item"]').first().waitFor()
      await noOverflow(page, 'the nothing-found page')
    }))

  test(`${tag}: a guide page shows every element, the version and schema.org markup`, () =>
    withPage(browser, srv, { viewport, name: `guide-page-${tag}` }, async (page) => {
      const row = await itemNamed('食品经营许可')
      const it = await get(`/service-items/${row.id}`)
      const g = it.guide
      await page.goto(`/guide/items/${row.id}`)
      await page.locator('[data-test="guide-doc"]').waitFor()
      assert.equal((await page.locator('[data-test="guide-title"]').innerText()).trim(), it.name || it.item.name)
      const ver = await page.locator('[data-test="guide-version"]').innerText()
      assert.ok(ver.includes(`第 ${it.version.version} 版`), ver)
      assert.ok(ver.includes(g.effective_from), ver)
      assert.equal(await page.locator('[data-test="guide-impl-code"]').innerText(), it.impl_code)
      // 申请材料: one row per material, with the columns of the element table.
      const mats = page.locator('[data-test="guide-materials"]')
      assert.equal(await mats.locator('.el-table__body tr').count(), g.materials.length)
      const matText = await mats.innerText()
      for (const m of g.materials) assert.ok(matText.includes(m.name), m.name)
      if (viewport.width > 768) for (const h of ['来源', '份数', '纸质/电子', '必要性', '容缺受理', '空表/样表']) assert.ok(matText.includes(h), h)
      // 办理流程: one step per step, each with its requirement.
      const steps = page.locator('[data-test="guide-steps"]')
      assert.equal(await steps.locator('.el-step').count(), g.steps.length)
      for (const s of g.steps) assert.ok((await steps.innerText()).includes(s.requirement))
      assert.ok((await page.locator('[data-test="guide-time"]').innerText()).includes(`${g.time_limit.promised_days}`))
      for (const s of g.time_limit.special || []) assert.ok((await page.locator('[data-test="guide-time"]').innerText()).includes(s.name))
      const contact = await page.locator('[data-test="guide-contact"]').innerText()
      assert.ok(contact.includes(g.consult_phone) && contact.includes(g.complaint_phone))
      for (const l of g.locations) assert.ok((await page.locator('[data-test="guide-locations"]').innerText()).includes(l.name))
      for (const r of g.results) assert.ok((await page.locator('[data-test="guide-results"]').innerText()).includes(r.name))
      for (const b of g.legal_basis) assert.ok((await page.locator('[data-test="guide-law"]').innerText()).includes(b.law))
      for (const id of ['guide-fees', 'guide-intermediary', 'guide-basic', 'guide-checklist']) await page.locator(`[data-test="${id}"]`).waitFor()
      // schema.org GovernmentService in the head.
      const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').first().textContent())
      assert.equal(ld['@type'], 'GovernmentService')
      assert.equal(ld.identifier, it.impl_code)
      assert.equal(ld.provider.name, it.agency.name)
      await noOverflow(page, 'the guide page')
      await shot(page, `guide-page-${tag}`)

      // A 跨省通办 item shows its block with the mode.
      const cross = (await get('/service-items?cross=1&limit=1')).items[0]
      const ci = await get(`/service-items/${cross.id}`)
      await page.goto(`/guide/items/${cross.id}`)
      const block = page.locator('[data-test="guide-cross"]')
      await block.waitFor()
      assert.ok((await block.innerText()).includes((ci.guide.cross_region.scope || [])[0] || ''))
      await noOverflow(page, 'a 跨省通办 guide')
    }))

  test(`${tag}: the enterprise 工作台 links to 办事指南`, () =>
    withPage(browser, srv, { viewport, name: `guide-enterprise-${tag}` }, async (page) => {
      await login(page, srv, 'enterprise')
      await page.locator('[data-test="enterprise-guide-link"]').click()
      await page.waitForURL((u) => new URL(u).pathname === '/guide')
      await page.locator('[data-test="guide-stage-zhunru"]').waitFor()
      await noOverflow(page, 'the portal after login')
    }))
}

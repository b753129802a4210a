// SPDX-License-Identifier: Apache-2.0
// Bulk work and the enterprise's side (issue 17 items 6 and 7), at 1440×900 and 375×812:
// the clerk's 批量受理 with one record refused (the result dialog names it and its reason),
// the handler's 批量签收, the officer's 批量告知 and a bank result file recorded as 拨付 line
// by line, the enterprise's 工作台 with what waits for it (links), the new-demand form with
// its contact fields prefilled from the registry, and an application's materials seen by
// the reviewer. Data the pages act on is made through the API (apiAs) by the test itself.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, shot, apiAs, waitForText, settle, overflowsX } from './harness.mjs'

const ENT_CODE = '91340100131860916Y'
const field = (t) => `:is(input[data-test="${t}"], [data-test="${t}"] input)`
const SIZES = [
  { tag: 'desktop', viewport: { width: 1440, height: 900 } },
  { tag: 'phone', viewport: { width: 375, height: 812 } },
]
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

const submit = (title) => apiAs(srv, 'enterprise', 'POST', 'demands', {
  category: 'policy', urgency: 'normal', title, content: `批量测试：${title}`, contact_phone: '13905561234',
})

/** Ticks the selection box of the row of table that shows text. */
async function tick(page, table, text) {
  const row = page.locator(`[data-test="${table}"] tr.el-table__row`, { hasText: text }).first()
  await row.waitFor()
  await row.locator('.el-checkbox').first().click()
}

async function resultDialog(page) {
  const dialog = page.locator('.el-dialog:visible', { has: page.locator('[data-test="bulk-result-close"]') })
  await dialog.waitFor()
  await settle(page)
  return dialog
}

for (const { tag, viewport } of SIZES) {
  test(`clerk ${tag}: 批量受理 reports the refused record with its reason`, () =>
    withPage(browser, srv, { name: `bulk-clerk-${tag}`, viewport }, async (page) => {
      const a = await submit(`批量受理甲${tag}`)
      const b = await submit(`批量受理乙${tag}`)
      await login(page, srv, 'clerk')
      await page.goto('/clerk/intake')
      await tick(page, 'intake-table', a.title)
      await tick(page, 'intake-table', b.title)
      const bar = page.locator('[data-test="bulk-bar"]')
      await waitForText(bar, (t) => t.includes('已选 2 条'))
      if (tag === 'phone') assert.equal(await overflowsX(page), false, 'the queue overflows sideways')
      await shot(page, `bulk-clerk-selected-${tag}`)
      // Someone else accepts b meanwhile: the bulk action refuses it, and accepts a.
      await apiAs(srv, 'clerk', 'POST', `demands/${b.id}/actions`, { action: 'accept' })
      await page.locator('[data-test="bulk-accept"]').click()
      const dialog = await resultDialog(page)
      const text = await dialog.innerText()
      assert.match(text, /共 2 条：成功 1 条，未成功 1 条/)
      assert.ok(text.includes(b.no) && text.includes('诉求当前状态为“已受理”，不能执行“受理”'), text)
      assert.ok(!text.includes(a.no), 'the accepted one is not listed as a failure')
      await shot(page, `bulk-clerk-result-${tag}`)
      await dialog.locator('[data-test="bulk-result-close"]').click()
      assert.equal((await apiAs(srv, 'clerk', 'GET', `demands/${a.id}`)).state, 'accepted')
    }))

  test(`handler ${tag}: 批量签收`, () =>
    withPage(browser, srv, { name: `bulk-handler-${tag}`, viewport }, async (page) => {
      const ids = []
      for (const t of [`批量签收甲${tag}`, `批量签收乙${tag}`]) {
        const d = await submit(t)
        await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'accept' })
        await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'dispatch', lead: '340800-JXJ' })
        ids.push(d)
      }
      await login(page, srv, 'handler')
      await page.goto('/handler/inbox')
      for (const d of ids) await tick(page, 'inbox-table', d.title)
      await page.locator('[data-test="bulk-sign"]').click()
      const dialog = await resultDialog(page)
      assert.match(await dialog.innerText(), /共 2 条：成功 2 条，未成功 0 条/)
      await shot(page, `bulk-handler-result-${tag}`)
      await dialog.locator('[data-test="bulk-result-close"]').click()
      for (const d of ids) assert.equal((await apiAs(srv, 'handler', 'GET', `demands/${d.id}`)).state, 'signed')
      if (tag === 'phone') assert.equal(await overflowsX(page), false)
    }))
}

let policyId
let grantId
async function grantForDemo() {
  if (grantId) return grantId
  await apiAs(srv, 'admin', 'PUT', `enterprises/${ENT_CODE}/facts`,
    { facts: [{ fact: 'revenue', value: 300000000, as_of: '2025-12-31' }] })
  const p = await apiAs(srv, 'officer', 'POST', 'policies', {
    title: '批量兑现浏览器测试', delivery: 'mian_shen', region_scope: ['3408'],
    valid_from: '2020-01-01', valid_to: '2099-12-31',
    rules: { conditions: { all: [{ fact: 'revenue', op: 'ge', value: 200000000 }] }, amount: { fixed: 1000000 } },
  })
  policyId = p.id
  await apiAs(srv, 'officer', 'POST', `policies/${p.id}/actions`, { action: 'publish' })
  let run = await apiAs(srv, 'officer', 'POST', `policies/${p.id}/runs`)
  for (let i = 0; i < 200 && run.state !== 'done' && run.state !== 'failed'; i++) {
    await new Promise((r) => setTimeout(r, 100))
    run = await apiAs(srv, 'officer', 'GET', `policies/${p.id}/runs/${run.id}`)
  }
  assert.equal(run.state, 'done')
  const g = (await apiAs(srv, 'officer', 'GET', `grants?policy_id=${p.id}&credit_code=${ENT_CODE}`)).items
  assert.equal(g.length, 1)
  grantId = g[0].id
  return grantId
}

test('officer desktop: 批量告知, then a bank result file recorded as 拨付 line by line', () =>
  withPage(browser, srv, { name: 'bulk-officer', viewport: SIZES[0].viewport }, async (page) => {
    const gid = await grantForDemo()
    await login(page, srv, 'officer')
    await page.goto(`/officer/grants?policy_id=${policyId}`)
    await tick(page, 'grant-table', '批量兑现浏览器测试')
    await page.locator('[data-test="bulk-notify"]').click()
    let dialog = await resultDialog(page)
    assert.match(await dialog.innerText(), /成功 1 条，未成功 0 条/)
    await dialog.locator('[data-test="bulk-result-close"]').click()
    await apiAs(srv, 'enterprise', 'POST', `grants/${gid}/actions`, { action: 'confirm' })
    const csv = `兑现编号,实付金额（元）,拨付日期,结果,银行流水号,说明\n${gid},"10,000.00",2026-12-01,成功,B9001,\n999999,5,2026-12-01,成功,B9002,\n`
    await page.locator('[data-test="bank-file"]').setInputFiles({ name: '回单.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    dialog = await resultDialog(page)
    const text = await dialog.innerText()
    assert.match(text, /共 2 条：成功 1 条，未成功 1 条/)
    assert.ok(text.includes('第 3 行'), text)
    await shot(page, 'bulk-officer-bank-result')
    await dialog.locator('[data-test="bulk-result-close"]').click()
    const g = await apiAs(srv, 'officer', 'GET', `grants/${gid}`)
    assert.equal(g.state, 'paid')
    assert.equal(g.paid_amount, 1000000)
  }))

for (const { tag, viewport } of SIZES) {
  test(`enterprise ${tag}: 工作台 says what waits, and the new-demand form is prefilled`, () =>
    withPage(browser, srv, { name: `ent-home-${tag}`, viewport }, async (page) => {
      await login(page, srv, 'enterprise')
      // The 工作台's to-do counts (GET /me/todo, one source for every workspace).
      const todo = page.locator('[data-test="todo-counts"]')
      await waitForText(todo, (t) => t.includes('待评价') && t.includes('可申报政策') &&
        t.includes('兑现待确认'))
      assert.match(await page.locator('[data-test="todo-grant_confirm"]').getAttribute('href'),
        /^\/enterprise\/grants(\?|$)/)
      if (tag === 'phone') assert.equal(await overflowsX(page), false)
      await shot(page, `ent-home-todo-${tag}`)
      await page.locator('[data-test="todo-rate"]').click()
      await page.waitForURL((u) => new URL(u).pathname === '/enterprise/demands')
      await page.goto('/enterprise/demands/new')
      const name = page.locator(field('demand-contact-name'))
      for (let i = 0; i < 100 && (await name.inputValue()) === ''; i++) await page.waitForTimeout(50)
      assert.equal(await name.inputValue(), '方晓东')
      assert.notEqual(await page.locator(field('demand-contact-phone')).inputValue(), '')
      if (tag === 'phone') assert.equal(await overflowsX(page), false)
      await shot(page, `ent-demand-new-prefilled-${tag}`)
    }))
}

test('officer desktop: an application\'s materials in the review drawer', () =>
  withPage(browser, srv, { name: 'materials-officer', viewport: SIZES[0].viewport }, async (page) => {
    const p = await apiAs(srv, 'officer', 'POST', 'policies', {
      title: '申报材料浏览器测试', delivery: 'shen_bao', region_scope: ['3408'],
      valid_from: '2020-01-01', valid_to: '2099-12-31',
      rules: { conditions: { all: [{ fact: 'revenue', op: 'ge', value: 1 }] }, amount: { fixed: 100000 } },
    })
    await apiAs(srv, 'officer', 'POST', `policies/${p.id}/actions`, { action: 'publish' })
    const app = await apiAs(srv, 'enterprise', 'POST', 'applications', { policy_id: p.id })
    const tokens = srv._tokens
    const r = await fetch(`${srv.url}/api/v1/applications/${app.id}/materials?name=${encodeURIComponent('营业执照.pdf')}`, {
      method: 'POST', headers: { Authorization: `Bearer ${tokens.enterprise}`, 'Content-Type': 'application/pdf' },
      body: '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    })
    assert.equal(r.status, 201)
    await login(page, srv, 'officer')
    await page.goto('/officer/applications')
    await page.locator('[data-test="app-table"] tr.el-table__row', { hasText: '申报材料浏览器测试' }).first().click()
    const list = page.locator('[data-test="material-list"]')
    await waitForText(list, (t) => t.includes('营业执照.pdf'))
    await shot(page, 'materials-officer-drawer')
  }))

for (const { tag, viewport } of SIZES) {
  test(`supervisor ${tag}: 批量催办 from the 临期 list`, () =>
    withPage(browser, srv, { name: `bulk-supervisor-${tag}`, viewport }, async (page) => {
      // 特急: both deadlines fall within the working day, so the demand is yellow (临期)
      // right after its dispatch, whatever the time of day.
      const d = await apiAs(srv, 'enterprise', 'POST', 'demands', {
        category: 'policy', urgency: 'critical', title: `批量催办${tag}`, content: '特急诉求，批量催办测试',
      })
      await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'accept' })
      await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'dispatch', lead: '340800-JXJ' })
      assert.equal((await apiAs(srv, 'supervisor', 'GET', `demands/${d.id}`)).light, 'yellow')
      await login(page, srv, 'supervisor')
      await page.goto('/supervisor/board')
      await page.locator('[data-test="board-tabs"] .el-tabs__item', { hasText: '临期' }).click()
      await tick(page, 'board-table', d.title)
      await page.locator('[data-test="bulk-urge"]').click()
      const box = page.locator('.el-message-box:visible')
      await box.waitFor()
      await box.locator('textarea').fill('请于今日内签收')
      await box.locator('.el-button--primary').click()
      const dialog = await resultDialog(page)
      assert.match(await dialog.innerText(), /成功 1 条，未成功 0 条/)
      if (tag === 'phone') assert.equal(await overflowsX(page), false)
      await shot(page, `bulk-supervisor-result-${tag}`)
      await dialog.locator('[data-test="bulk-result-close"]').click()
      const tl = await apiAs(srv, 'supervisor', 'GET', `demands/${d.id}/timeline`)
      assert.equal(tl.items.at(-1).action, 'urge')
      assert.equal(tl.items.at(-1).note, '请于今日内签收')
    }))
}

/** Opens the el-tree-select and picks the node labelled label (as demand_loop.test.mjs). */
async function pickTreeNode(page, select, label) {
  for (let i = 0; ; i++) {
    await select.click()
    const popper = page.locator('.el-tree-select__popper[aria-hidden="false"]:not(.el-zoom-in-top-leave-active)')
    await popper.waitFor()
    await settle(page)
    await popper.locator('.el-tree-node__content').filter({ hasText: label }).first().click()
    await settle(page)
    if ((await select.innerText()).includes(label)) break
    if (i === 2) throw new Error(`could not pick ${label}`)
  }
}

test('clerk desktop: 批量交办 to one lead', () =>
  withPage(browser, srv, { name: 'bulk-clerk-dispatch', viewport: SIZES[0].viewport }, async (page) => {
    const ds = []
    for (const t of ['批量交办甲', '批量交办乙']) {
      const d = await submit(t)
      await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'accept' })
      ds.push(d)
    }
    await login(page, srv, 'clerk')
    await page.goto('/clerk/intake?tab=accepted')
    for (const d of ds) await tick(page, 'intake-table', d.title)
    await page.locator('[data-test="bulk-dispatch"]').click()
    const dialog = page.locator('.el-dialog:visible', { has: page.locator('[data-test="bulk-lead-ok"]') })
    await dialog.waitFor()
    await pickTreeNode(page, dialog.locator('[data-test="bulk-lead"]'), '安庆市经济和信息化局')
    await dialog.locator('[data-test="bulk-lead-ok"]').click()
    const result = await resultDialog(page)
    assert.match(await result.innerText(), /共 2 条：成功 2 条，未成功 0 条/)
    await shot(page, 'bulk-clerk-dispatch-result')
    await result.locator('[data-test="bulk-result-close"]').click()
    for (const d of ds) {
      const got = await apiAs(srv, 'clerk', 'GET', `demands/${d.id}`)
      assert.equal(got.state, 'dispatched')
      assert.equal(got.lead.code, '340800-JXJ')
    }
  }))

for (const { tag, viewport } of SIZES) {
  test(`enterprise ${tag}: 补充说明 while open, then 撤回 before acceptance`, () =>
    withPage(browser, srv, { name: `ent-side-${tag}`, viewport }, async (page) => {
      const d = await submit(`企业侧操作${tag}`)
      await login(page, srv, 'enterprise')
      await page.goto(`/enterprise/demands/${d.id}`)
      const acts = page.locator('[data-test="demand-actions"]')
      await waitForText(acts, (t) => t.includes('撤回') && t.includes('补充说明') && !t.includes('企业催办'))
      await page.locator('[data-test="action-supplement"]').click()
      let dialog = page.locator('.el-dialog:visible', { has: page.locator('[data-test="action-submit"]') })
      await dialog.waitFor()
      await dialog.locator('textarea[data-test="action-note"], [data-test="action-note"] textarea').first().fill('补充：去年研发投入 860 万元')
      await dialog.locator('[data-test="action-submit"]').click()
      await dialog.waitFor({ state: 'hidden' })
      await waitForText(page.locator('[data-test="demand-timeline"]'), (t) => t.includes('补充说明') && t.includes('去年研发投入 860 万元'))
      if (tag === 'phone') assert.equal(await overflowsX(page), false)
      await shot(page, `ent-supplement-${tag}`)
      await page.locator('[data-test="action-withdraw"]').click()
      dialog = page.locator('.el-dialog:visible', { has: page.locator('[data-test="action-submit"]') })
      await dialog.waitFor()
      await dialog.locator('[data-test="action-submit"]').click()
      await dialog.waitFor({ state: 'hidden' })
      await waitForText(page.locator('[data-test="demand-timeline"]'), (t) => t.includes('撤回'))
      assert.equal((await apiAs(srv, 'enterprise', 'GET', `demands/${d.id}`)).state, 'withdrawn')
      // Closed: no more uploads offered (the server would refuse them).
      assert.equal(await page.locator('[data-test="demand-attachments"] button', { hasText: '上传附件' }).count(), 0)
      await shot(page, `ent-withdrawn-${tag}`)
    }))
}

// SPDX-License-Identifier: Apache-2.0
// Government pages on a phone (issue 17 item 3): every page of the clerk, handler,
// supervisor, policy officer and admin workspaces at 375×812 has no horizontal overflow
// (document.scrollingElement.scrollWidth <= clientWidth), and on the list pages the first
// row is a card whose key fields (title, enterprise, state, light, deadline where the list
// has them) lie inside the viewport; at 1440×900 the same lists are still tables.
// Rows come from demands set up through the API (the plain demo has none).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, shot, settle, apiAs } from './harness.mjs'

const PHONE = { width: 375, height: 812 }
const WIDE = { width: 1440, height: 900 }
const ENT_CODE = '91340100131860916Y'
const JXJ = '340800-JXJ'

let srv
let browser
let dispatched // a demand dispatched to 经信局 (its detail pages)
let policyId

// Lists: the table and the labels of the key fields its first row must show on a phone.
const DEMAND_KEYS = ['标题', '企业', '状态', '时限', '期限']
const LISTS = {
  '/clerk/intake': { table: 'intake-table', keys: ['标题', '企业', '状态'] },
  '/handler/inbox': { table: 'inbox-table', keys: DEMAND_KEYS },
  '/supervisor/board': { table: 'board-table', keys: DEMAND_KEYS, tab: 'extension' },
  '/supervisor/stats': { table: 'stats-table', keys: ['承办单位', '交办数', '满意率'] },
  '/supervisor/analysis': { table: 'ranking-table', keys: ['承办单位', '综合得分'] },
  '/supervisor/demands': { table: 'drill-table', keys: DEMAND_KEYS, query: `?lead_org=${JXJ}` },
  '/officer/policies': { table: 'policy-table', keys: ['政策名称', '状态'] },
  '/admin/users': { table: 'user-table', keys: ['姓名', '角色', '状态'] },
  '/admin/categories': { table: 'cat-table', keys: ['类别', '代码'] },
}

// Every page of every government workspace (detail pages with ids filled in at run time).
const ROUTES = {
  clerk: ['/clerk', '/clerk/intake', '/clerk/entry', () => `/clerk/demands/${dispatched.id}`, '/clerk/account'],
  handler: ['/handler', '/handler/inbox', () => `/handler/demands/${dispatched.id}`, '/handler/account'],
  supervisor: ['/supervisor', '/supervisor/board', '/supervisor/stats', '/supervisor/analysis', '/supervisor/report',
    '/supervisor/notice', '/supervisor/demands', () => `/supervisor/demands/${dispatched.id}`, '/supervisor/account'],
  officer: ['/officer', '/officer/policies', '/officer/policies/new', () => `/officer/policies/${policyId}`,
    () => `/officer/policies/${policyId}/edit`, '/officer/applications', '/officer/grants', '/officer/stats',
    '/officer/account'],
  admin: ['/admin', '/admin/users', '/admin/apikeys', '/admin/orgs', '/admin/categories', '/admin/calendar', '/admin/account'],
}

async function submit(title) {
  return apiAs(srv, 'enterprise', 'POST', 'demands', {
    category: 'policy', urgency: 'normal', title, content: `${title}：请相关部门协调解决。`, contact_phone: '13905561234',
  })
}

before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
  // One waits at intake; three are dispatched to 经信局, one of them with an extension asked for.
  await submit('企业厂房用电增容申请迟迟未办理，影响新生产线按期投产，请协调供电公司加快办理')
  for (const title of ['高新技术企业认定奖励资金何时兑现', '研发费用加计扣除政策咨询', '申请延期的诉求']) {
    const d = await submit(title)
    await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'accept' })
    dispatched = await apiAs(srv, 'clerk', 'POST', `demands/${d.id}/actions`, { action: 'dispatch', lead: JXJ })
  }
  await apiAs(srv, 'handler', 'POST', `demands/${dispatched.id}/actions`, { action: 'sign' })
  const due = new Date(Date.parse(dispatched.reply_due || new Date().toISOString()) + 30 * 86400000)
  await apiAs(srv, 'handler', 'POST', `demands/${dispatched.id}/actions`, {
    action: 'request_extension', until: due.toISOString().slice(0, 10), note: '需协调多个部门，申请延期',
  })
  // A draft of the officer's department: its detail and editor pages.
  const W = 1000000 // 1 万元 in fen
  const pol = await apiAs(srv, 'officer', 'POST', 'policies', {
    title: '研发费用补助（手机版测试）', doc_no: '庆经信〔2026〕98号', summary: '研发费用达到一定规模的企业给予补助。',
    delivery: 'ji_shen', region_scope: ['3408'], valid_from: '2026-01-01', valid_to: '2028-12-31',
    contact: { dept: '经信局', phone: '0556-0000000' }, materials: ['营业执照'], tags: ['研发'],
    rules: { conditions: { all: [{ fact: 'rd_expense', op: 'ge', value: 50 * W, label: '研发费用50万元以上(含)' }] },
      amount: { fixed: 5 * W } },
  })
  policyId = pol.id
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

/** The page's horizontal overflow: [scrollWidth, clientWidth] of document.scrollingElement. */
const widths = (page) => page.evaluate(() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth])

/**
 * The first row of table `name` at phone width: every visible cell inside the viewport
 * horizontally, and a visible cell for each key label (the card's title for the first).
 */
async function checkFirstRow(page, name, keys) {
  const table = page.locator(`.el-table[data-test="${name}"], [data-test="${name}"] .el-table`).first()
  await table.locator('tr.el-table__row').first().waitFor()
  assert.notEqual(await table.getAttribute('data-cards'), null, `${name} is not in card mode`)
  const cells = await table.locator('tr.el-table__row').first().evaluate((tr) => {
    const width = document.scrollingElement.clientWidth
    return [...tr.children].map((td) => {
      const r = td.getBoundingClientRect()
      const visible = r.width > 0 && r.height > 0 && getComputedStyle(td).display !== 'none'
      return { label: td.dataset.label || '', title: td.classList.contains('card-title'), text: td.innerText.trim(),
        visible, inside: r.left >= -0.5 && r.right <= width + 0.5, left: r.left, right: r.right }
    })
  })
  for (const c of cells.filter((x) => x.visible))
    assert.ok(c.inside, `${name}: cell ${c.label || c.text} spans ${c.left}..${c.right}, outside the viewport`)
  const header = await table.locator('.el-table__header-wrapper th').evaluateAll((ths) => ths.map((th) => th.textContent.trim()))
  for (const key of keys) {
    const c = cells.find((x) => x.label === key || (x.title && header.includes(key) && key === keys[0]))
    assert.ok(c && c.visible && c.inside, `${name}: the key field ${key} is not visible in the first row`)
  }
}

for (const [role, routes] of Object.entries(ROUTES)) {
  test(`${role}: every page fits 375 px, lists are cards with their key fields visible`, () =>
    withPage(browser, srv, { name: `phone-${role}`, viewport: PHONE }, async (page) => {
      await login(page, srv, role === 'officer' ? 'officer' : role)
      for (const r of routes) {
        const path = typeof r === 'function' ? r() : r
        const list = LISTS[path]
        await open(page, path + (list && list.query ? list.query : ''))
        if (list && list.tab) {
          await page.locator(`.el-tabs__item#tab-${list.tab}`).click()
          await page.waitForLoadState('networkidle')
          await settle(page)
        }
        const [sw, cw] = await widths(page)
        assert.ok(sw <= cw, `${path}: the page is ${sw}px wide in a ${cw}px viewport`)
        if (list) await checkFirstRow(page, list.table, list.keys)
        await shot(page, `phone-${path.slice(1).replace(/\//g, '-')}`)
      }
    }))
}

test('at 1440×900 the lists are still tables', () =>
  withPage(browser, srv, { name: 'wide-lists', viewport: WIDE }, async (page) => {
    let who = null
    for (const [path, list] of Object.entries(LISTS)) {
      const role = path.split('/')[1]
      if (role !== who) {
        if (who) await page.context().clearCookies()
        await login(page, srv, role)
        who = role
      }
      await open(page, path + (list.query || ''))
      if (list.tab) {
        await page.locator(`.el-tabs__item#tab-${list.tab}`).click()
        await page.waitForLoadState('networkidle')
      }
      const table = page.locator(`[data-test="${list.table}"]`).first()
      await table.locator('tr.el-table__row').first().waitFor()
      assert.equal(await table.getAttribute('data-cards'), null, `${path}: cards at desktop width`)
      assert.ok(await table.locator('.el-table__header-wrapper').isVisible(), `${path}: no table header`)
      const tr = await table.locator('tr.el-table__row').first().evaluate((el) => getComputedStyle(el).display)
      assert.equal(tr, 'table-row', `${path}: rows are not table rows`)
      const [sw, cw] = await widths(page)
      assert.ok(sw <= cw, `${path}: the page is ${sw}px wide in a ${cw}px viewport`)
      if (['/handler/inbox', '/supervisor/analysis', '/supervisor/stats'].includes(path))
        await shot(page, `wide-${path.slice(1).replace(/\//g, '-')}`)
    }
  }))

test('dialogs fit a phone, with labels on top', () =>
  withPage(browser, srv, { name: 'phone-dialog', viewport: PHONE }, async (page) => {
    await login(page, srv, 'admin')
    await open(page, '/admin/orgs')
    await page.getByRole('button', { name: /新建机构/ }).click()
    const dialog = page.locator('[data-test="org-dialog"]')
    await dialog.waitFor()
    await settle(page)
    const box = await dialog.boundingBox()
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `dialog spans ${box.x}..${box.x + box.width}`)
    assert.ok(box.width <= PHONE.width * 0.92 + 1, `dialog is ${box.width}px wide`)
    // Labels above their fields: a label's bottom is above its input's top.
    const item = dialog.locator('.el-form-item').first()
    const lb = await item.locator('.el-form-item__label').boundingBox()
    const cb = await item.locator('.el-form-item__content').boundingBox()
    assert.ok(lb.y + lb.height <= cb.y + 1, 'the form label is not above its field')
    await shot(page, 'phone-admin-org-dialog')
  }))

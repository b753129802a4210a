// SPDX-License-Identifier: Apache-2.0
// Issue 17 item 5 in the browser: the printable documents of a demand (受理回执, 交办单,
// 不予受理告知书, 一次性告知单) render with the organisation's name and the seal placeholder
// at 1440 and 375 px and, under print media, show the sheet alone; 导出 Excel downloads an
// .xlsx with its Chinese name; the import pages show the per-line report.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { startServer, launchBrowser, withPage, login, shot, overflowsX, waitForText, apiAs, PHONE }
  from './harness.mjs'

const WIDE = { width: 1440, height: 900 }
const NARROW = { ...PHONE, height: 812 }
let srv
let browser
let dispatched
let declined
let orgName

before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
  const submit = (title) => apiAs(srv, 'enterprise', 'POST', '/api/v1/demands',
    { category: 'help', title, content: `打印测试：${title}`, contact_phone: '13905561234' })
  dispatched = (await submit('厂区用电增容')).id
  await apiAs(srv, 'clerk', 'POST', `/api/v1/demands/${dispatched}/actions`, { action: 'accept' })
  await apiAs(srv, 'clerk', 'POST', `/api/v1/demands/${dispatched}/actions`,
    { action: 'dispatch', lead: '340800-JXJ' })
  declined = (await submit('咨询个人社保')).id
  await apiAs(srv, 'clerk', 'POST', `/api/v1/demands/${declined}/actions`,
    { action: 'decline', note: '个人社保事项不属于涉企诉求，请拨打 12333。' })
  orgName = (await apiAs(srv, 'clerk', 'GET', '/api/v1/me')).org.name
  assert.ok(orgName)
})

/* A 免申即享 run of a policy of the officer's department (经信局's 市级专精特新, which the
 * demo enterprise meets) and its grant, once the run is done. */
async function aGrant() {
  const run = await apiAs(srv, 'officer', 'POST', '/api/v1/policies/9/runs', {})
  for (let i = 0; i < 200; i++) {
    const r = await apiAs(srv, 'officer', 'GET', `/api/v1/policies/9/runs/${run.id}`)
    if (r.state !== 'running' && r.state !== 'queued') break
    await new Promise((res) => setTimeout(res, 100))
  }
  const page = await apiAs(srv, 'officer', 'GET', '/api/v1/grants?policy_id=9')
  assert.ok(page.items.length > 0, 'the run made no grant')
  return page.items[0]
}

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

for (const [label, viewport] of [['1440', WIDE], ['375', NARROW]]) {
  test(`demand documents print with the organisation's name at ${label}`, () =>
    withPage(browser, srv, { name: `print-${label}`, viewport }, async (page) => {
      await login(page, srv, 'clerk')
      await page.goto(`/clerk/demands/${dispatched}`)
      await page.locator('[data-test="print"]').click()
      await page.locator('[data-test="print-receipt"]').click()
      await page.waitForURL((u) => new URL(u).pathname === `/clerk/print/demands/${dispatched}/receipt`)
      const sheet = page.locator('[data-test="print-sheet"]')
      await waitForText(page.locator('[data-test="print-title"]'), '受理回执')
      assert.equal(await page.locator('[data-test="print-org"]').innerText(), orgName)
      assert.match(await sheet.innerText(), /厂区用电增容/)
      assert.ok(await page.locator('[data-test="print-seal"]').isVisible())
      assert.equal(await overflowsX(page), false)
      await shot(page, `print-receipt-${label}`)

      await page.goto(`/clerk/print/demands/${dispatched}/dispatch`)
      await waitForText(page.locator('[data-test="print-title"]'), '交办单')
      await waitForText(sheet, (t) => t.includes('安庆市经济和信息化局') && t.includes('答复时限'))
      assert.equal(await overflowsX(page), false)
      await shot(page, `print-dispatch-${label}`)

      await page.goto(`/clerk/print/demands/${declined}/decline`)
      await waitForText(page.locator('[data-test="print-reason"]'), (t) => t.includes('12333'))
      assert.equal(await page.locator('[data-test="print-title"]').innerText(), '不予受理告知书')
      await page.goto(`/clerk/print/demands/${declined}/notify`)
      await waitForText(page.locator('[data-test="print-title"]'), '一次性告知单')
      assert.equal(await page.locator('[data-test="print-org"]').innerText(), orgName)
      assert.equal(await overflowsX(page), false)
      await shot(page, `print-notify-${label}`)

      // Printed: the sheet alone, A4 wide; no header, menu or toolbar.
      await page.emulateMedia({ media: 'print' })
      assert.equal(await page.locator('.layout__header').isVisible(), false)
      assert.equal(await page.locator('[data-test="print-now"]').isVisible(), false)
      assert.ok(await sheet.isVisible())
      assert.equal(await page.locator('[data-test="print-org"]').innerText(), orgName)
      const width = await sheet.evaluate((el) => el.getBoundingClientRect().width)
      assert.ok(Math.abs(width - 793.7) < 2, `sheet ${width}px wide, A4 is 793.7`)
      await shot(page, `print-notify-media-print-${label}`)
      await page.emulateMedia({ media: 'screen' })
    }))
}

test('导出 Excel downloads the list as .xlsx with its Chinese name', () =>
  withPage(browser, srv, { name: 'export-xlsx', viewport: WIDE }, async (page) => {
    await login(page, srv, 'clerk')
    await page.goto('/clerk/intake')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-test="export-xlsx"]').first().click(),
    ])
    assert.match(download.suggestedFilename(), /^诉求清单-\d{4}-\d\d-\d\d\.xlsx$/)
    const file = await download.path()
    const head = fs.readFileSync(file).subarray(0, 4)
    assert.deepEqual([...head], [0x50, 0x4b, 3, 4]) // a zip archive: PK\3\4
    await shot(page, 'export-xlsx-intake')
  }))

const BAD_ORDERS = [
  '工单编号,统一社会信用代码,诉求类别,紧急程度,标题,诉求内容,联系人,联系电话,地址,来电时间',
  'WEB-IMP-1,91340100131860916Y,融资,紧急,贷款审批慢,企业反映流动资金贷款审批时间过长,方晓东,13905561234,安庆市宜秀区,2025-09-29 10:05',
  'WEB-IMP-2,91340100131860916Y,不存在的类别,一般,标题,内容,方晓东,13905561234,安庆市,2025-09-29 10:06',
].join('\n') + '\n'

for (const [label, viewport] of [['1440', WIDE], ['375', NARROW]]) {
  test(`the clerk's 工单导入 shows the per-line report at ${label}`, () =>
    withPage(browser, srv, { name: `import-${label}`, viewport }, async (page) => {
      await login(page, srv, 'clerk')
      await page.goto('/clerk/import')
      await page.locator('[data-test="import-file"] input[type="file"]').setInputFiles({
        name: '工单.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_ORDERS),
      })
      await page.locator('[data-test="import-check"]').click()
      const rep = page.locator('[data-test="import-report"]')
      await waitForText(rep, (t) => t.includes('预检结果'))
      const errors = await page.locator('[data-test="import-errors"]').innerText()
      assert.match(errors, /3/)
      assert.match(errors, /不存在的类别/)
      assert.equal(await overflowsX(page), false)
      await shot(page, `import-orders-report-${label}`)
    }))
}

test("the admin's 企业导入 refuses a file that is not a workbook, in Chinese", () =>
  withPage(browser, srv, { name: 'import-admin', viewport: WIDE }, async (page) => {
    await login(page, srv, 'admin')
    await page.goto('/admin/import')
    await page.locator('[data-test="import-file"] input[type="file"]').setInputFiles({
      name: '企业.xlsx', mimeType: 'application/octet-stream', buffer: Buffer.from('credit_code\n'),
    })
    await page.locator('[data-test="import-check"]').click()
    await waitForText(page.locator('[data-test="import-error"]'), (t) => t.includes('不是 Excel'))
    await shot(page, 'import-enterprises-refused')
  }))

test('政策兑现通知 prints from the officer\'s grant list at 1440 and 375', async () => {
  const g = await aGrant()
  for (const [label, viewport] of [['1440', WIDE], ['375', NARROW]]) {
    await withPage(browser, srv, { name: `print-grant-${label}`, viewport }, async (page) => {
      await login(page, srv, 'officer')
      await page.goto('/officer/grants')
      await page.locator('[data-test="grant-print"]').first().click()
      await page.waitForURL((u) => new URL(u).pathname.startsWith('/officer/print/grants/'))
      await waitForText(page.locator('[data-test="print-title"]'), '政策兑现通知')
      assert.equal(await page.locator('[data-test="print-org"]').innerText(), g.org_name)
      await waitForText(page.locator('[data-test="print-sheet"]'), (t) => t.includes(g.policy_title) &&
        t.includes(g.enterprise_name))
      assert.equal(await overflowsX(page), false)
      await shot(page, `print-grant-${label}`)
      await page.emulateMedia({ media: 'print' })
      assert.equal(await page.locator('.layout__header').isVisible(), false)
      assert.ok(await page.locator('[data-test="print-seal"]').isVisible())
      await page.emulateMedia({ media: 'screen' })
    })
  }
})

// SPDX-License-Identifier: Apache-2.0
// 情形 and the personal material list (issue 18 item 2): the guide page's ChecklistPanel
// asks the questions (all needed ones in order at 1440 px, one at a time at 375 px, the most
// decisive first), the list follows each answer with its reasons, and the printable
// 一次性告知单 shows the answers, the materials, 时限, fees, locations, phones, the version
// and a QR code. The item is tests/cases/catalog/item_checklist.json (guide_3q.json inside
// a guide that passes the lint), loaded with `qifu catalog load`.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { startServer, launchBrowser, withPage, shot, overflowsX, settle, login, ROOT } from './harness.mjs'

const BASIC = 'QT9918001'
let srv
let browser
let id

before(async () => {
  srv = await startServer()
  const dir = path.join(srv.tmp, 'catalog')
  fs.mkdirSync(path.join(dir, 'items'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'bundles'), { recursive: true })
  fs.copyFileSync(path.join(ROOT, 'tests/cases/catalog/item_checklist.json'), path.join(dir, 'items', `${BASIC}.json`))
  srv.cli('catalog', 'load', dir, '--db', '$DB')
  const list = await (await fetch(`${srv.url}/api/v1/service-items?limit=500`)).json()
  id = list.items.find((r) => r.impl_code.startsWith(BASIC)).id
  browser = await launchBrowser()
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

const questionIds = (page) =>
  page.locator('[data-test="checklist-panel"] .ckp__q').evaluateAll((els) => els.map((e) => e.dataset.test))
const materialIds = (page) =>
  page.locator('[data-test="ck-materials"] li').evaluateAll((els) => els.map((e) => e.dataset.test.slice(5)))

async function waitMaterials(page, want) {
  await page.waitForFunction(
    (w) => [...document.querySelectorAll('[data-test="ck-materials"] li')].map((e) => e.dataset.test.slice(5)).join() === w,
    want.join(),
  )
}

test('desktop: every needed question in order, the list follows the answers, the 告知单 prints it', async () => {
  await withPage(browser, srv, { name: 'checklist-desktop', viewport: { width: 1440, height: 900 } }, async (page) => {
    await page.goto(`/guide/items/${id}`)
    await page.locator('[data-test="checklist-panel"] .ckp__q').first().waitFor()
    assert.deepEqual(await questionIds(page), ['ck-q-s_area', 'ck-q-s_kind', 'ck-q-s_chain'])
    await waitMaterials(page, ['m1'])
    assert.equal(await page.locator('[data-test^="ck-p-"]').count(), 12)

    await page.locator('[data-test="ck-q-s_kind"] [data-test="ck-opt-catering"]').click()
    await waitMaterials(page, ['m1', 'm6', 'm7', 'm10'])
    assert.deepEqual(await questionIds(page), ['ck-q-s_area', 'ck-q-s_chain'])

    await page.locator('[data-test="ck-q-s_area"] input').fill('600')
    await page.locator('[data-test="ck-q-s_area"] [data-test="ck-ok"]').click()
    await waitMaterials(page, ['m1', 'm4', 'm6', 'm7', 'm8', 'm9', 'm10'])
    await page.locator('[data-test="ck-q-s_chain"] [data-test="ck-no"]').click()
    await waitMaterials(page, ['m1', 'm3', 'm4', 'm6', 'm7', 'm8', 'm9', 'm10'])
    assert.equal(await page.locator('.ckp__q').count(), 0)
    assert.match(await page.locator('[data-test="ck-m-m8"]').innerText(), /依据：经营项目：餐饮服务；经营场所面积：600平方米/)
    // Only m13 (the enterprise's 注册地) is left pending for a visitor.
    assert.deepEqual(await page.locator('[data-test^="ck-p-"]').evaluateAll((els) => els.map((e) => e.dataset.test)), ['ck-p-m13'])
    await shot(page, 'checklist-desktop')

    // Change an answer: the question comes back.
    await page.locator('[data-test="ck-change-s_chain"]').click()
    await page.locator('[data-test="ck-q-s_chain"]').waitFor()

    const href = await page.locator('[data-test="ck-print"]').getAttribute('href')
    assert.match(href, new RegExp(`^/guide/items/${id}/notice\\?a=`))
    await page.goto(href)
    await page.locator('[data-test="notice-qr"]').waitFor()
    const body = await page.locator('[data-test="notice-body"]').innerText()
    assert.match(body, /情形测试许可/)
    assert.match(body, /办事指南第 1 版/)
    assert.match(await page.locator('[data-test="notice-answers"]').innerText(), /经营项目\s+餐饮服务/)
    assert.match(await page.locator('[data-test="notice-answers"]').innerText(), /经营场所面积\s+600平方米/)
    assert.match(await page.locator('[data-test="notice-answers"]').innerText(), /是否为连锁经营企业？\s+未回答/)
    const rows = await page.locator('[data-test="notice-materials"] tbody tr').count()
    assert.equal(rows, 7) // m1 m4 m6 m7 m8 m9 m10: s_chain unanswered again
    assert.match(body, /承诺办结时限\s*5\s*个工作日/)
    // The fee depends on s_chain, unanswered again: not "不收费".
    assert.match(await page.locator('[data-test="notice-fees"]').innerText(), /视情况收取：工本费（10元）/)
    assert.match(await page.locator('[data-test="notice-phones"]').innerText(), /12345/)
    assert.match(await page.locator('[data-test="notice-locations"]').innerText(), /合肥市政务服务中心/)
    assert.match(await page.locator('[data-test="notice-pending"]').innerText(), /连锁总部授权书/)
    await shot(page, 'checklist-notice-desktop')
  })
})

test('phone: one question at a time, most decisive first, nothing wider than the screen', async () => {
  await withPage(browser, srv, { name: 'checklist-phone', viewport: { width: 375, height: 812 } }, async (page) => {
    await page.goto(`/guide/items/${id}`)
    await page.locator('[data-test="checklist-panel"] .ckp__q').first().waitFor()
    assert.deepEqual(await questionIds(page), ['ck-q-s_area'])
    await page.locator('[data-test="ck-q-s_area"] input').fill('120')
    await page.locator('[data-test="ck-q-s_area"] [data-test="ck-ok"]').click()
    await page.locator('[data-test="ck-q-s_chain"]').waitFor()
    assert.deepEqual(await questionIds(page), ['ck-q-s_chain'])
    await page.locator('[data-test="ck-q-s_chain"] [data-test="ck-yes"]').click()
    await page.locator('[data-test="ck-q-s_kind"]').waitFor()
    await page.locator('[data-test="ck-q-s_kind"] [data-test="ck-opt-sale"]').click()
    await waitMaterials(page, ['m1', 'm2', 'm5', 'm9'])
    assert.equal(await page.locator('.ckp__q').count(), 0)
    await settle(page)
    assert.equal(await overflowsX(page), false)
    await shot(page, 'checklist-phone')
    await page.goto(await page.locator('[data-test="ck-print"]').getAttribute('href'))
    await page.locator('[data-test="notice-qr"]').waitFor()
    assert.equal(await page.locator('[data-test="notice-materials"] tbody tr').count(), 4)
    await shot(page, 'checklist-notice-phone')
  })
})

test('enterprise: its registry facts answer for it when it asks', async () => {
  await withPage(browser, srv, { name: 'checklist-enterprise', viewport: { width: 1440, height: 900 } }, async (page) => {
    await login(page, srv, 'enterprise')
    await page.goto(`/guide/items/${id}`)
    await page.locator('[data-test="ck-p-m13"]').waitFor()
    await page.locator('[data-test="ck-use-enterprise"]').click()
    await page.locator('[data-test="ck-m-m13"]').waitFor()
    assert.match(await page.locator('[data-test="ck-m-m13"]').innerText(), /（企业登记信息）/)
    await shot(page, 'checklist-enterprise')
  })
})

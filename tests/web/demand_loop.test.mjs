// SPDX-License-Identifier: Apache-2.0
// The demand loop across roles through the government workspaces (clerk 受理台, handler
// 待办, supervisor 督办看板 / 考核统计): intake with duplicate suggestions, dispatch with the
// server's deadline preview, sign and reply, review, a 差评 and its rectification, a
// call-back, re-rating and archiving; an extension approved by the supervisor; the board's
// light counts and the statistics charts; the clerk's 代录 form with enterprise lookup.
// The enterprise's own steps (filing, rating) go through the API (apiAs): the enterprise
// pages are built separately (tests/web/enterprise*.test.mjs).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, launchBrowser, withPage, login, logout, shot, apiAs, waitForText, settle } from './harness.mjs'

let srv
let browser
const ENT_CODE = '91340100131860916Y'
let main // the demand that goes round the loop
let ext // the demand whose extension the supervisor approves

before(async () => {
  srv = await startServer()
  browser = await launchBrowser()
  main = await apiAs(srv, 'enterprise', 'POST', 'demands', {
    category: 'policy', urgency: 'normal', title: '研发费用补贴兑现进度查询',
    content: '我公司 2025 年申报的研发费用补贴至今未到账，请协助查询兑现进度。',
    contact_name: '方晓东', contact_phone: '13905561234',
  })
  ext = await apiAs(srv, 'enterprise', 'POST', 'demands', {
    category: 'policy', urgency: 'normal', title: '研发费用补贴到账时间咨询',
    content: '研发费用补贴什么时候到账？需要补充哪些材料？',
  })
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

const state = (page) => page.locator('[data-test="demand-state"]')

/** Clicks an action button of the detail page, fills the note when given, and confirms. */
async function act(page, action, note) {
  await page.locator(`[data-test="act-${action}"]`).click()
  const dialog = page.locator('.el-dialog:visible')
  await dialog.waitFor()
  if (note !== undefined) await dialog.locator('[data-test="action-note"]').fill(note)
  await dialog.locator('[data-test="act-submit"]').click()
  await dialog.waitFor({ state: 'hidden' })
}

/**
 * Opens the el-tree-select `select` and picks the node labelled label (retried until the
 * select shows it), then closes a dropdown that stays open (multiple) by clicking `away`.
 */
async function pickTreeNode(page, select, label, away) {
  for (let i = 0; ; i++) {
    await select.click()
    // The open dropdown (one that is closing is already aria-hidden while it fades out).
    const popper = page.locator('.el-tree-select__popper[aria-hidden="false"]:not(.el-zoom-in-top-leave-active)')
    await popper.waitFor()
    await settle(page)
    await popper.locator('.el-tree-node__content').filter({ hasText: label }).first().click()
    await settle(page)
    if ((await select.innerText()).includes(label)) break
    if (i === 2) throw new Error(`could not pick ${label}`)
  }
  const open = page.locator('.el-tree-select__popper[aria-hidden="false"]')
  if (await open.count()) {
    await away.click()
    await settle(page)
  }
}

test('clerk: intake queue, duplicate suggestions, accept, dispatch with deadline preview', () =>
  withPage(browser, srv, { name: 'loop-clerk-dispatch' }, async (page) => {
    await login(page, srv, 'clerk')
    await page.goto('/clerk/intake')
    const table = page.locator('[data-test="intake-table"]')
    await waitForText(table, (t) => t.includes('研发费用补贴兑现进度查询') && t.includes('研发费用补贴到账时间咨询'))
    assert.match(await table.innerText(), /已提交/)
    await shot(page, 'clerk-intake')

    await page.locator(`[data-test="open-${main.id}"]`).click()
    await page.waitForURL((u) => new URL(u).pathname === `/clerk/demands/${main.id}`)
    await waitForText(state(page), '已提交')
    // The other demand of the same enterprise and category is suggested before accepting.
    const dups = page.locator('[data-test="duplicates"]')
    await waitForText(dups, (t) => t.includes(ext.no) && t.includes('同一企业同类诉求'))
    const buttons = await page.locator('[data-test="demand-actions"]').innerText()
    for (const label of ['受理', '不予受理', '直接答复办结', '并单', '内部备注']) assert.ok(buttons.includes(label), label)
    assert.ok(!buttons.includes('交办'), 'no 交办 before 受理')
    await shot(page, 'clerk-demand-submitted')

    await act(page, 'accept')
    await waitForText(state(page), '已受理')

    await page.locator('[data-test="act-dispatch"]').click()
    const dialog = page.locator('.el-dialog:visible')
    await waitForText(dialog.locator('[data-test="deadline-preview"]'), (t) => /答复期限：\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(t))
    const preview = await dialog.locator('[data-test="deadline-preview"]').innerText()
    // The preview is the server's: the same as GET /calendar/deadline for the category.
    const dl = await apiAs(srv, 'clerk', 'GET', 'calendar/deadline?category=policy&urgency=normal')
    assert.match(preview, /5 个工作日，次日起算/)
    assert.ok(preview.includes(dl.reply.deadline.slice(0, 10)), `${preview} vs ${dl.reply.deadline}`)
    await pickTreeNode(page, dialog.locator('[data-test="dispatch-lead"]'), '安庆市经济和信息化局', dialog.locator('.el-dialog__title'))
    await pickTreeNode(page, dialog.locator('[data-test="dispatch-co"]'), '安庆市发展和改革委员会', dialog.locator('.el-dialog__title'))
    await dialog.locator('[data-test="action-note"]').fill('请核实补贴兑现进度并答复企业')
    await shot(page, 'clerk-dispatch-dialog')
    await dialog.locator('[data-test="act-submit"]').click()
    await dialog.waitFor({ state: 'hidden' })
    await waitForText(state(page), '已交办')
    const card = await page.locator('[data-test="demand-card"]').innerText()
    assert.match(card, /安庆市经济和信息化局/)
    assert.match(card, /安庆市发展和改革委员会/)
    const d = await apiAs(srv, 'clerk', 'GET', `demands/${main.id}`)
    assert.equal(d.lead.code, '340800-JXJ')
    assert.deepEqual(d.co_handlers.map((c) => c.code), ['340800-FGW'])
    await waitForText(page.locator('[data-test="timeline"]'), (t) => t.includes('交办') && t.includes('主办：安庆市经济和信息化局'))

    // The second demand goes the same way through the API (its extension is tested below).
    await apiAs(srv, 'clerk', 'POST', `demands/${ext.id}/actions`, { action: 'accept' })
    await apiAs(srv, 'clerk', 'POST', `demands/${ext.id}/actions`, { action: 'dispatch', lead: '340800-JXJ' })
  }))

test('handler: inbox by light, sign for, reply; request an extension', () =>
  withPage(browser, srv, { name: 'loop-handler-reply' }, async (page) => {
    await login(page, srv, 'handler')
    await page.goto('/handler/inbox')
    const table = page.locator('[data-test="inbox-table"]')
    await waitForText(table, (t) => t.includes('研发费用补贴兑现进度查询') && t.includes('研发费用补贴到账时间咨询'))
    assert.match(await table.innerText(), /绿灯|黄灯|红灯/)
    await shot(page, 'handler-inbox')

    await page.locator(`[data-test="open-${main.id}"]`).click()
    await waitForText(state(page), '已交办')
    await act(page, 'sign')
    await waitForText(state(page), '已签收')
    const buttons = await page.locator('[data-test="demand-actions"]').innerText()
    for (const label of ['退单', '申请延期', '阶段性答复', '答复']) assert.ok(buttons.includes(label), label)
    await act(page, 'interim_reply', '已联系财政局核对拨付批次，预计三个工作日内答复。')
    await act(page, 'reply', '经核查，贵公司补贴已列入第二批拨付计划，将于本月内到账。')
    await waitForText(state(page), '已答复')
    await waitForText(page.locator('[data-test="timeline"]'), (t) => t.includes('阶段性答复') && t.includes('第二批拨付计划'))
    await shot(page, 'handler-demand-replied')

    // The other demand: sign, then ask for more time.
    await page.goto(`/handler/demands/${ext.id}`)
    await waitForText(state(page), '已交办')
    await act(page, 'sign')
    await waitForText(state(page), '已签收')
    const before = await apiAs(srv, 'handler', 'GET', `demands/${ext.id}`)
    const until = new Date(Date.parse(before.due) + 20 * 86400000).toISOString().slice(0, 10)
    await page.locator('[data-test="act-request_extension"]').click()
    const dialog = page.locator('.el-dialog:visible')
    const input = dialog.locator('input[placeholder="选择日期"]')
    await input.fill(until)
    await input.press('Enter')
    await dialog.locator('[data-test="action-note"]').fill('需财政局联审，申请延期。')
    await dialog.locator('.el-dialog__title').click()
    await dialog.locator('[data-test="act-submit"]').click()
    await dialog.waitFor({ state: 'hidden' })
    await waitForText(state(page), '延期待批')
    const after = await apiAs(srv, 'handler', 'GET', `demands/${ext.id}`)
    assert.equal(after.extension_requested_until.slice(0, 10), until)
  }))

test('clerk reviews the reply; the enterprise rates 不满意; call-back', () =>
  withPage(browser, srv, { name: 'loop-clerk-review' }, async (page) => {
    await login(page, srv, 'clerk')
    await page.goto('/clerk/intake?tab=replied')
    await waitForText(page.locator('[data-test="intake-table"]'), (t) => t.includes('研发费用补贴兑现进度查询'))
    await page.goto(`/clerk/demands/${main.id}`)
    await waitForText(state(page), '已答复')
    await act(page, 'review_accept')
    await page.locator('.el-tag').filter({ hasText: '答复已审核' }).waitFor()

    // The enterprise is not satisfied (through the API: see the file comment).
    await apiAs(srv, 'enterprise', 'POST', `demands/${main.id}/actions`, { action: 'rate', rating: 2, note: '补贴仍未到账，答复没有给出具体时间。' })
    await page.reload()
    await waitForText(state(page), '整改中')
    await act(page, 'callback', '已电话回访企业，企业要求明确到账时间。')
    await waitForText(page.locator('[data-test="timeline"]'), (t) => t.includes('评价：不满意') && t.includes('回访'))
    await shot(page, 'clerk-demand-rectifying')
  }))

test('handler rectifies after the 差评; the enterprise re-rates; the clerk archives', () =>
  withPage(browser, srv, { name: 'loop-rectify' }, async (page) => {
    await login(page, srv, 'handler')
    await page.goto(`/handler/demands/${main.id}`)
    await waitForText(state(page), '整改中')
    await waitForText(page.locator('[data-test="act-reply"]'), '整改答复')
    await page.locator('[data-test="act-reply"]').click()
    const dialog = page.locator('.el-dialog:visible')
    await waitForText(dialog.locator('.el-form-item__label').first(), (t) => t.includes('整改情况及答复'))
    await dialog.locator('[data-test="action-note"]').fill('已协调财政局加急拨付，补贴已于今日到账，请查收。')
    await dialog.locator('[data-test="act-submit"]').click()
    await dialog.waitFor({ state: 'hidden' })
    await waitForText(state(page), '已答复')
    await shot(page, 'handler-demand-rectified')

    await logout(page)
    await login(page, srv, 'clerk')
    await page.goto(`/clerk/demands/${main.id}`)
    await waitForText(state(page), '已答复')
    await act(page, 'review_accept')
    await page.locator('.el-tag').filter({ hasText: '答复已审核' }).waitFor()
    await apiAs(srv, 'enterprise', 'POST', `demands/${main.id}/actions`, { action: 'rate', rating: 5, note: '已到账，感谢。' })
    await page.reload()
    await waitForText(state(page), '已评价')
    await act(page, 'archive')
    await waitForText(state(page), '已归档')
    const tl = await page.locator('[data-test="timeline"]').innerText()
    assert.match(tl, /评价：不满意[\s\S]*评价：非常满意/)
    await shot(page, 'clerk-demand-archived')
  }))

test('supervisor: light counts, extension approved, statistics and charts', () =>
  withPage(browser, srv, { name: 'loop-supervisor' }, async (page) => {
    await login(page, srv, 'supervisor')
    await page.goto('/supervisor/board')
    const cards = page.locator('[data-test="light-cards"]')
    const expect = {}
    for (const l of ['red', 'yellow', 'green'])
      expect[l] = (await apiAs(srv, 'supervisor', 'GET', `demands?light=${l}&limit=500`)).items.length
    assert.equal(expect.red + expect.yellow + expect.green >= 1, true)
    for (const l of ['red', 'yellow', 'green'])
      await waitForText(page.locator(`[data-test="count-${l}"] .board__num`), String(expect[l]))
    await waitForText(page.locator('[data-test="count-pending"] .board__num'), '1')
    await waitForText(cards, (t) => t.includes('红灯') && t.includes('黄灯') && t.includes('绿灯'))
    await waitForText(page.locator('[data-test="org-lights"]'), (t) => t.includes('安庆市经济和信息化局'))
    await shot(page, 'supervisor-board')

    await page.locator('[data-test="count-pending"]').click()
    const row = page.locator(`[data-test="approve-ext-${ext.id}"]`)
    await row.waitFor()
    const before = await apiAs(srv, 'supervisor', 'GET', `demands/${ext.id}`)
    await shot(page, 'supervisor-extensions')
    await row.click()
    await page.locator('.el-message-box__btns .el-button--primary').click()
    await page.locator('.el-message--success').filter({ hasText: '批准延期成功' }).waitFor()
    const d = await apiAs(srv, 'supervisor', 'GET', `demands/${ext.id}`)
    assert.equal(d.state, 'signed')
    assert.equal(d.due, before.extension_requested_until)
    await waitForText(page.locator('[data-test="board-table"]'), (t) => t.includes('没有待审批的延期申请'))

    // 督办 from a list: the open demand of the handler is urged (催办 before its deadline).
    await page.locator('[data-test="board-tabs"] .el-tabs__item').filter({ hasText: '临期' }).click()
    await page.locator('[data-test="count-green"]').click()
    await page.goto(`/supervisor/demands/${ext.id}`)
    await waitForText(state(page), '已签收')
    await act(page, 'urge', '请抓紧办理，按延期后的期限答复。')
    await waitForText(page.locator('[data-test="timeline"]'), (t) => t.includes('催办') && t.includes('批准延期'))

    await page.goto('/supervisor/stats')
    const stats = page.locator('[data-test="stats-table"]')
    await waitForText(stats, (t) => t.includes('安庆市经济和信息化局') && t.includes('合计'))
    const jxj = (await stats.locator('tr').filter({ hasText: '安庆市经济和信息化局' }).first().innerText()).split(/\s+/)
    // 交办 2, 签收率 100%, 满意率 100% (latest rating 5), 差评整改率 100%.
    assert.equal(jxj[1], '2')
    assert.equal(jxj[2], '100.0%')
    assert.ok(jxj.filter((x) => x === '100.0%').length >= 3, jxj.join(' '))
    const href = await page.locator('[data-test="stats-csv"]').getAttribute('href')
    assert.match(href, /^\/api\/v1\/stats\/demands\?from=\d{4}-\d{2}-01&to=\d{4}-\d{2}-\d{2}&format=csv$/)
    const csv = await page.evaluate(async (u) => (await fetch(u)).text(), href)
    assert.match(csv, /安庆市经济和信息化局/)
    for (const sel of ['trend-chart', 'satisfaction-chart'])
      await page.locator(`[data-test="${sel}"] svg`).first().waitFor() // SVG renderer (labels measured in supervisor_analysis)
    await settle(page)
    await page.waitForTimeout(600) // ECharts' entry animation
    await shot(page, 'supervisor-stats')
  }))

test('clerk: 代录 with enterprise lookup by name and by credit code, then duplicates', () =>
  withPage(browser, srv, { name: 'clerk-entry' }, async (page) => {
    await login(page, srv, 'clerk')
    await page.goto('/clerk/entry')
    const form = page.locator('[data-test="entry-form"]')
    // A server field error shows next to its field and the input stays.
    await page.locator('[data-test="entry-enterprise"]').click()
    await page.keyboard.type(ENT_CODE)
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '安庆市示例智能装备有限公司' }).click()
    await pickTreeNode(page, form.locator('[data-test="entry-category"]'), '政策兑现', page.locator('.page-title'))
    await form.locator('[data-test="entry-title"]').fill('窗口来访：研发费用补贴兑现')
    await form.locator('[data-test="entry-content"]').fill('企业来窗口询问研发费用补贴何时兑现。')
    await form.locator('[data-test="entry-contact"]').fill('方晓东')
    await form.locator('[data-test="entry-phone"]').fill('abc123')
    await form.locator('[data-test="entry-submit"]').click()
    await waitForText(form.locator('.el-form-item.is-error'), (t) => t.includes('联系电话'))
    assert.equal(await form.locator('[data-test="entry-title"]').inputValue(), '窗口来访：研发费用补贴兑现')
    await shot(page, 'clerk-entry-error')

    // Lookup by name replaces the choice with the same enterprise; a valid phone goes through.
    await page.locator('[data-test="entry-enterprise"]').click()
    await page.keyboard.type('示例智能')
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: ENT_CODE }).click()
    await form.locator('[data-test="entry-phone"]').fill('0556-5551234')
    await form.locator('input[type="file"]').setInputFiles({
      name: '来访登记.txt', mimeType: 'text/plain', buffer: Buffer.from('来访人：方晓东\n事项：研发费用补贴兑现\n'),
    })
    await form.locator('[data-test="entry-submit"]').click()
    await page.waitForURL((u) => /\/clerk\/demands\/\d+$/.test(new URL(u).pathname))
    await waitForText(state(page), '已提交')
    const id = new URL(page.url()).pathname.split('/').pop()
    const d = await apiAs(srv, 'clerk', 'GET', `demands/${id}`)
    assert.equal(d.channel, 'window')
    assert.equal(d.credit_code, ENT_CODE)
    assert.equal(d.contact_phone, '0556-5551234')
    await waitForText(page.locator('[data-test="duplicates"]'), (t) => t.includes(main.no) && t.includes(ext.no))
    const files = page.locator('[data-test="attachments"]')
    await waitForText(files, (t) => t.includes('来访登记.txt'))
    await shot(page, 'clerk-entry-duplicates')

    // An internal attachment: listed for staff, hidden from the enterprise.
    await files.locator('[data-test="upload-internal"]').click()
    await files.locator('input[type="file"]').setInputFiles({
      name: '内部核查.txt', mimeType: 'text/plain', buffer: Buffer.from('内部核查意见：企业所述属实。\n'),
    })
    await waitForText(files, (t) => t.includes('内部核查.txt') && t.includes('内部') && t.includes('（2 / 20）'))
    const seen = (await apiAs(srv, 'enterprise', 'GET', `demands/${id}/attachments`)).items.map((a) => a.name)
    assert.deepEqual(seen, ['来访登记.txt'])
  }))

test('return: the handler returns with a reason, the clerk rejects once, then approves and re-dispatches', () =>
  withPage(browser, srv, { name: 'loop-return' }, async (page) => {
    const r = await apiAs(srv, 'enterprise', 'POST', 'demands', {
      category: 'policy', title: '厂房租金补贴申请指引', content: '想了解厂房租金补贴的申请条件。',
    })
    await apiAs(srv, 'clerk', 'POST', `demands/${r.id}/actions`, { action: 'accept' })
    await apiAs(srv, 'clerk', 'POST', `demands/${r.id}/actions`, { action: 'dispatch', lead: '340800-JXJ' })

    await login(page, srv, 'handler')
    await page.goto(`/handler/demands/${r.id}`)
    await waitForText(state(page), '已交办')
    await act(page, 'return', '租金补贴由商务局负责，请改派。')
    await waitForText(state(page), '退单待审')
    await logout(page)

    await login(page, srv, 'clerk')
    await page.goto('/clerk/intake?tab=return_requested')
    await waitForText(page.locator('[data-test="intake-table"]'), (t) => t.includes('厂房租金补贴申请指引'))
    await page.locator(`[data-test="open-${r.id}"]`).click()
    await waitForText(state(page), '退单待审')
    await act(page, 'reject_return', '请先与商务局会商后答复。')
    await waitForText(state(page), '已交办')
    await apiAs(srv, 'handler', 'POST', `demands/${r.id}/actions`, { action: 'return', note: '确属商务局职责。' })
    await page.reload()
    await waitForText(state(page), '退单待审')
    await act(page, 'approve_return')
    await waitForText(state(page), '已受理')
    await page.locator('[data-test="act-dispatch"]').click()
    const dialog = page.locator('.el-dialog:visible')
    await pickTreeNode(page, dialog.locator('[data-test="dispatch-lead"]'), '安庆市商务局', dialog.locator('.el-dialog__title'))
    await dialog.locator('[data-test="act-submit"]').click()
    await dialog.waitFor({ state: 'hidden' })
    await waitForText(state(page), '已交办')
    const d = await apiAs(srv, 'clerk', 'GET', `demands/${r.id}`)
    assert.equal(d.lead.code, '340800-SWUJ')
    await waitForText(page.locator('[data-test="timeline"]'), (t) => t.includes('驳回退单') && t.includes('同意退单'))
    await shot(page, 'clerk-return-redispatched')
  }))

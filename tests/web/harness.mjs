// SPDX-License-Identifier: Apache-2.0
// Browser-test harness: the real qifu binary on 127.0.0.1 (ephemeral port, a fresh
// SQLite database with `qifu demo` data) driven by playwright-core in Debian's Chromium.
//
//   import { test, before, after } from 'node:test'
//   import { startServer, launchBrowser, withPage, login } from './harness.mjs'
//   let srv, browser
//   before(async () => { srv = await startServer(); browser = await launchBrowser() })
//   after(async () => { await browser?.close(); await srv?.stop() })
//   test('clerk sees the intake queue', () => withPage(browser, srv, {}, async (page) => {
//     await login(page, srv, 'clerk')
//     ...
//     await shot(page, 'clerk-queue')
//   }))
//
// withPage fails the test on any page error, any console error, any failed request and
// any HTTP error answer, except 4xx answers of the JSON API (/api/...) which the UI
// handles and shows (wrong password, field errors): Chromium logs those as console
// errors ("Failed to load resource"), so they are told apart by their URL.
// Environment: QIFU_BIN (default build/release/qifu), CHROMIUM (default /usr/bin/chromium),
// QIFU_WEB_OUT (screenshots; default build/test-output/web), QIFU_KEEP_TMP=1.
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = process.env.QIFU_BIN || path.join(ROOT, 'build', 'release', 'qifu')
export const OUT = process.env.QIFU_WEB_OUT || path.join(ROOT, 'build', 'test-output', 'web')
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
export const DEMO_PASSWORD = 'demo'
/** The demo users (src/main.c cmd_demo) and the workspace each lands on. */
export const DEMO = {
  enterprise: { role: 'enterprise', base: '/enterprise', name: '示例企业办事员' },
  clerk: { role: 'clerk', base: '/clerk', name: '窗口受理员' },
  handler: { role: 'handler', base: '/handler', name: '经信局承办人' },
  supervisor: { role: 'supervisor', base: '/supervisor', name: '督查室督办员' },
  officer: { role: 'policy_officer', base: '/officer', name: '经信局政策专员' },
  admin: { role: 'admin', base: '/admin', name: '系统管理员' },
}
/** A phone's viewport (the width the enterprise pages must fit). */
export const PHONE = { width: 375, height: 740 }
export const DESKTOP = { width: 1366, height: 860 }

// playwright-core is a devDependency of web/ (installed by scripts/web-deps.sh).
const require = createRequire(path.join(ROOT, 'web', 'package.json'))
const { chromium } = require('playwright-core')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * The test clock. Every server and CLI run the harness starts, and every page, live at
 * TEST_NOW (a Monday, 10:00 in China, inside the holiday calendar) plus the real time since
 * this file was loaded, so that no test depends on the real date, weekday or time of day
 * (DEVELOPERS.md). The processes get it as QIFU_TEST_NOW (src/base/timeutil.c: that
 * instant, then running), rounded up to the second, so a later process never starts before
 * an earlier one; the pages get it through Playwright's clock. QIFU_WEB_NOW overrides it.
 */
export const TEST_NOW = process.env.QIFU_WEB_NOW || '2026-12-07T10:00:00+08:00'
const clockBase = Date.parse(TEST_NOW)
const clockStart = Date.now()
/** The test clock's now, in ms since the epoch. */
export const testNow = () => clockBase + (Date.now() - clockStart)
/** The test clock's day in China, offset days from now, as YYYY-MM-DD. */
export const testDay = (offset = 0) => new Date(testNow() + 8 * 3600e3 + offset * 86400e3).toISOString().slice(0, 10)
function clockEnv(env) {
  const at = new Date(Math.ceil(testNow() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
  return { ...env, QIFU_TEST_NOW: at }
}

function cli(env, ...args) {
  const p = spawnSync(BIN, args, { env: clockEnv(env), encoding: 'utf-8', timeout: 60000 })
  if (p.status !== 0) throw new Error(`qifu ${args.join(' ')} failed (${p.status}):\n${p.stderr}`)
  return p.stdout
}

/**
 * Starts `qifu serve` on a fresh SQLite database with the demo data. Resolves with
 * { url, port, db, cli(...args), log(), stop() }; stop() sends SIGTERM and waits.
 * extraArgs go to `qifu serve` (e.g. ['--web-dir', 'web/dist']).
 */
export async function startServer(extraArgs = []) {
  if (!fs.existsSync(BIN)) throw new Error(`no qifu binary at ${BIN} (set QIFU_BIN)`)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qifu-web-'))
  const env = { ...process.env, QIFU_FAST_HASH: '1' }
  const db = `sqlite:${path.join(tmp, 'qifu.db')}`
  cli(env, 'migrate', '--db', db)
  cli(env, 'demo', '--db', db)
  const portFile = path.join(tmp, 'port')
  const logPath = path.join(tmp, 'server.log')
  const logFd = fs.openSync(logPath, 'w')
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--port-file', portFile, ...extraArgs],
    { env: clockEnv(env), cwd: tmp, stdio: ['ignore', logFd, logFd] })
  fs.closeSync(logFd)
  let exited = null
  const exitP = new Promise((resolve) => proc.on('exit', (code, sig) => resolve((exited = { code, sig }))))
  const log = () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf-8') : '')
  const deadline = Date.now() + 15000
  let port = null
  while (Date.now() < deadline && !exited) {
    const text = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf-8') : ''
    if (text.endsWith('\n')) {
      port = Number(text)
      break
    }
    await sleep(25)
  }
  const url = `http://127.0.0.1:${port}`
  let ready = false
  while (port && Date.now() < deadline && !exited) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) {
        ready = true
        break
      }
    } catch {
      /* not listening yet */
    }
    await sleep(50)
  }
  if (!ready) {
    proc.kill('SIGKILL')
    throw new Error(`qifu serve did not start:\n${log()}`)
  }
  return {
    url,
    port,
    db,
    tmp,
    log,
    cli: (...args) => cli(env, ...args.map((a) => (a === '$DB' ? db : a))),
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM')
        const t = setTimeout(() => proc.kill('SIGKILL'), 15000)
        await exitP
        clearTimeout(t)
      }
      if (process.env.QIFU_KEEP_TMP !== '1') fs.rmSync(tmp, { recursive: true, force: true })
      if (exited.code !== 0) throw new Error(`qifu serve exited with ${JSON.stringify(exited)}:\n${log()}`)
    },
  }
}

/** Launches headless Debian Chromium (never a downloaded browser). */
export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/deps.sh --test`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--lang=zh-CN'],
  })
}

/** True for an answer the app is expected to handle itself: a 4xx of the JSON API. */
function isHandledApiError(url, status) {
  try {
    return status >= 400 && status < 500 && new URL(url).pathname.startsWith('/api/')
  } catch {
    return false
  }
}

/**
 * Runs fn(page, ctx) in a new browser context (zh-CN, Asia/Shanghai, viewport opts.viewport
 * or DESKTOP), then fails when the page logged an error (see the file comment). A
 * screenshot "FAILED-<name>" is saved when fn throws. opts.name names that file.
 */
export async function withPage(browser, srv, opts, fn) {
  const context = await browser.newContext({
    baseURL: srv.url,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: opts.viewport || DESKTOP,
  })
  await context.clock.install({ time: testNow() })
  const page = await context.newPage()
  page.setDefaultTimeout(opts.timeout || 10000)
  const problems = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    const loc = m.location() || {}
    const text = m.text()
    if (text.startsWith('Failed to load resource') && loc.url) return // judged by 'response'
    problems.push(`console error: ${text}${loc.url ? ` (${loc.url})` : ''}`)
  })
  page.on('response', (r) => {
    if (r.status() >= 400 && !isHandledApiError(r.url(), r.status()))
      problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`)
  })
  page.on('requestfailed', (r) => {
    const why = r.failure() ? r.failure().errorText : ''
    if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.method()} ${r.url()} ${why}`)
  })
  try {
    await fn(page, context)
    await page.waitForTimeout(50) // let late console messages arrive
    if (problems.length) throw new Error(`the page reported problems:\n  ${problems.join('\n  ')}`)
  } catch (e) {
    try {
      await shot(page, `FAILED-${opts.name || 'page'}`)
    } catch {
      /* the page may be gone */
    }
    if (problems.length && !String(e.message).includes('reported problems'))
      e.message += `\n(the page also reported:\n  ${problems.join('\n  ')})`
    throw e
  } finally {
    await context.close()
  }
}

/** Waits (at most 2 s) until no CSS animation or transition runs (drawers, dialogs, messages). */
export async function settle(page) {
  await page.evaluate(() =>
    Promise.race([
      Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null))),
      new Promise((r) => setTimeout(r, 2000)),
    ]))
}

/** Saves a full-page screenshot as OUT/<name>.png once animations settle; resolves with its path. */
export async function shot(page, name) {
  await settle(page)
  fs.mkdirSync(OUT, { recursive: true })
  const file = path.join(OUT, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/** Logs in through the login page as a demo user and waits for their workspace. */
export async function login(page, srv, user, password = DEMO_PASSWORD) {
  await page.goto('/login')
  await page.locator('input[name="username"]').fill(user)
  await page.locator('input[name="password"]').fill(password)
  await page.locator('[data-test="login-submit"]').click()
  const base = DEMO[user] ? DEMO[user].base : null
  if (base) await page.waitForURL((u) => new URL(u).pathname.startsWith(base))
  await page.locator('[data-test="workspace"], .layout__main').first().waitFor()
}

/** Logs out through the user menu and waits for the login page. */
export async function logout(page) {
  await page.locator('[data-test="user-menu"]').click()
  await page.locator('[data-test="logout"]').click()
  await page.waitForURL((u) => new URL(u).pathname === '/login')
}

/**
 * Waits until test(innerText of locator) is true (Playwright's expect is not part of
 * playwright-core); resolves with the text, rejects after timeout ms with the last text.
 */
export async function waitForText(locator, test, timeout = 10000) {
  const deadline = Date.now() + timeout
  let text = ''
  for (;;) {
    text = await locator.innerText().catch(() => '')
    if (typeof test === 'function' ? test(text) : text === test) return text
    if (Date.now() > deadline) throw new Error(`text never matched; last: ${JSON.stringify(text)}`)
    await sleep(50)
  }
}

/** True when the page is wider than its viewport (something overflows sideways). */
export async function overflowsX(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth)
}

/**
 * Calls the JSON API from the test (not the browser): a bearer login as user, then
 * method path body. Resolves with the parsed JSON (throws on a non-2xx answer).
 */
export async function apiAs(srv, user, method, pathname, body) {
  const tokens = (srv._tokens ||= {})
  if (!tokens[user]) {
    const r = await fetch(`${srv.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: user, password: DEMO_PASSWORD }),
    })
    if (r.status !== 201) throw new Error(`login ${user}: ${r.status} ${await r.text()}`)
    tokens[user] = (await r.json()).token
  }
  const headers = { Authorization: `Bearer ${tokens[user]}` }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const r = await fetch(`${srv.url}${pathname.startsWith('/') ? pathname : `/api/v1/${pathname}`}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  if (!r.ok) throw new Error(`${method} ${pathname}: ${r.status} ${text}`)
  return text ? JSON.parse(text) : null
}

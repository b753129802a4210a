// SPDX-License-Identifier: Apache-2.0
// bench/web.mjs (run by bench/web.sh): cold loads of the login page and of 我的政策 in
// Debian's Chromium under emulated networks (CDP Network.emulateNetworkConditions), each in
// a fresh browser context with the cache disabled. Prints one line per page and profile:
// the time from navigation to the page being usable (the login button; 我的政策's counts)
// and the bytes transferred (CDP encodedDataLength: headers + bodies as sent, gzip).
//
//   node bench/web.mjs URL    (a `qifu serve` with the demo data at URL)
// Environment: CHROMIUM (/usr/bin/chromium), BENCH_WEB_RUNS (3: the median is quoted).
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// playwright-core is a devDependency of web/ (scripts/web-deps.sh), as for tests/web.
const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'package.json'))
const { chromium } = require('playwright-core')

const url = process.argv[2]
const runs = Number(process.env.BENCH_WEB_RUNS || 3)
// slow 3G as the issue states it (1.6 Mbps, 300 ms RTT; Lighthouse's "slow 4G"/DevTools'
// "Fast 3G" down rate); 4G as WebPageTest's profile (9 Mbps down, 1.5 Mbps up, 170 ms RTT).
const PROFILES = {
  'slow-3g': { latency: 300, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) },
  '4g': { latency: 170, downloadThroughput: (9e6 / 8), uploadThroughput: (1.5e6 / 8) },
}
const PAGES = [
  { name: 'login', path: '/login', ready: '[data-test="login-submit"]', user: null },
  { name: 'my-policies', path: '/enterprise/policies', ready: '[data-test="match-counts"]', user: 'enterprise' },
]

async function sessionCookie(user) {
  const r = await fetch(`${url}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: 'demo' }),
  })
  if (r.status !== 201) throw new Error(`login ${user}: ${r.status}`)
  return (await r.json()).token
}

async function once(browser, pg, profile) {
  const context = await browser.newContext({ baseURL: url, locale: 'zh-CN', viewport: { width: 375, height: 812 } })
  if (pg.user) {
    const host = new URL(url).hostname
    const token = await sessionCookie(pg.user)
    await context.addCookies([
      { name: 'qifu_session', value: token, domain: host, path: '/', httpOnly: true, sameSite: 'Strict' },
      { name: 'qifu_in', value: '1', domain: host, path: '/', sameSite: 'Strict' },
    ])
  }
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  await cdp.send('Network.emulateNetworkConditions', { offline: false, ...PROFILES[profile] })
  let bytes = 0
  let failed = 0
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength })
  cdp.on('Network.loadingFailed', () => { failed++ })
  const t0 = Date.now()
  await page.goto(pg.path, { waitUntil: 'commit', timeout: 60000 })
  await page.locator(pg.ready).first().waitFor({ timeout: 60000 })
  const ms = Date.now() - t0
  await page.waitForLoadState('networkidle', { timeout: 60000 }).catch(() => {})
  await context.close()
  if (failed) throw new Error(`${pg.name}: ${failed} requests failed`)
  return { ms, bytes }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
})
const result = {}
try {
  for (const profile of Object.keys(PROFILES)) {
    for (const pg of PAGES) {
      const xs = []
      for (let i = 0; i < runs; i++) xs.push(await once(browser, pg, profile))
      const ms = median(xs.map((x) => x.ms))
      const bytes = median(xs.map((x) => x.bytes))
      result[`${pg.name}@${profile}`] = { ms, bytes }
      console.log(`${pg.name.padEnd(12)} ${profile.padEnd(8)} ${(ms / 1000).toFixed(2)} s  ${(bytes / 1024).toFixed(1)} KB transferred` +
        `  (median of ${runs}: ${xs.map((x) => (x.ms / 1000).toFixed(2)).join(' ')} s)`)
    }
  }
} finally {
  await browser.close()
}
console.log(`JSON ${JSON.stringify(result)}`)

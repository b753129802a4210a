// SPDX-License-Identifier: Apache-2.0
// web/src/lib/format.js: dates in Asia/Shanghai, money from fen, lights and state colours.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fmtDate, fmtDateTime, fmtMoney, fmtWan, yuanToFen, fmtPercent, fmtNumber, lightInfo, stateType, EMPTY,
  wanValue, fenToYuanText, fmtFileSize }
  from '../../web/src/lib/format.js'

test('dates are written in Beijing time', () => {
  assert.equal(fmtDateTime('2026-11-23T06:05:00Z'), '2026-11-23 14:05')
  assert.equal(fmtDateTime('2026-11-23T14:05:59+08:00'), '2026-11-23 14:05')
  assert.equal(fmtDate('2026-11-22T16:00:00Z'), '2026-11-23') // midnight in Beijing
  assert.equal(fmtDate('2026-11-22T15:59:59Z'), '2026-11-22')
  assert.equal(fmtDate('2026-02-01'), '2026-02-01') // a plain date stays as it is
  assert.equal(fmtDateTime(Date.UTC(2026, 0, 1, 0, 0)), '2026-01-01 08:00')
  assert.equal(fmtDate(null), EMPTY)
  assert.equal(fmtDateTime('not a date'), EMPTY)
})

test('money is kept in fen and written as yuan or 万元', () => {
  assert.equal(fmtMoney(123456), '¥1,234.56')
  assert.equal(fmtMoney(5), '¥0.05')
  assert.equal(fmtMoney(-500), '-¥5.00')
  assert.equal(fmtMoney(0), '¥0.00')
  assert.equal(fmtMoney(''), EMPTY)
  assert.equal(fmtWan(123456789), '123.46万元')
  assert.equal(fmtWan(1234567000), '1,234.57万元')
  assert.equal(fmtWan(12350000), '12.35万元')
  assert.equal(fmtWan(1235000), '1.24万元')
  assert.equal(yuanToFen('1,234.5'), 123450)
  assert.equal(yuanToFen('¥ 0.07'), 7)
  assert.equal(yuanToFen('12.345'), null)
  assert.equal(yuanToFen('abc'), null)
})

test('numbers, ratios, lights and states', () => {
  assert.equal(fmtNumber(1234567), '1,234,567')
  assert.equal(fmtPercent(0.8765), '87.7%')
  assert.equal(fmtPercent(null), EMPTY)
  assert.deepEqual([lightInfo('red').label, lightInfo('red').type], ['红灯', 'danger'])
  assert.deepEqual([lightInfo('yellow').label, lightInfo('yellow').type], ['黄灯', 'warning'])
  assert.deepEqual([lightInfo('green').label, lightInfo('green').type], ['绿灯', 'success'])
  assert.equal(lightInfo(null).label, '无时限')
  assert.equal(stateType('archived'), 'success')
  assert.equal(stateType('declined'), 'info')
  assert.equal(stateType('signed'), 'primary')
})

test('万元 numbers for charts, yuan text for inputs and file sizes are written one way', () => {
  assert.equal(wanValue(123456789), 123.46)
  assert.equal(wanValue(300000), 0.3) // not 0.30000000000000004
  assert.equal(wanValue(null), 0)
  assert.equal(fenToYuanText(123456), '1234.56')
  assert.equal(fenToYuanText(null), '')
  assert.equal(fmtFileSize(512), '512 B')
  assert.equal(fmtFileSize(1536), '1.5 KB')
  assert.equal(fmtFileSize(3 * 1024 * 1024), '3.0 MB')
  assert.equal(fmtFileSize(undefined), EMPTY)
})

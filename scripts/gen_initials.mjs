#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// gen_initials.mjs: the pinyin initials of every current GB/T 2260 division and every
// GB/T 4754-2017 industry, for the web UI's cascader search (web/src/lib/codetree.js), so the
// browser needs no pinyin dictionary. Reads the generated tables src/codes/regions_table.c
// and src/codes/industries_table.c (themselves generated from ../shared/refdata by
// scripts/gen_refdata.py, with the industry name fixes) and writes
// web/src/lib/initials.json: {"region": {"340811": "yxq", ...}, "industry": {"6511": "jcrjkf", ...}}.
// pinyin-pro (a devDependency of web/) reads words in context, so polyphones come out right
// (重庆 → cq, 长沙 → cs). Run by `make initials` after `make refdata`; commit the output.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(path.join(root, 'web', 'package.json'))
const { pinyin } = require('pinyin-pro')

const initials = (name) => pinyin(name, { pattern: 'first', toneType: 'none', type: 'array' })
  .filter((s) => /^[a-z]$/i.test(s)).join('').toLowerCase()

function rows(file, re) {
  const text = fs.readFileSync(path.join(root, file), 'utf-8')
  return [...text.matchAll(re)]
}

const region = {}
for (const m of rows('src/codes/regions_table.c', /\{"(\d{6})", "([^"]+)", \d, "\d*", (true|false),/g)) {
  if (m[3] === 'true') region[m[1]] = initials(m[2])
}
const industry = {}
for (const m of rows('src/codes/industries_table.c', /\{"([0-9A-T]{1,4})", "([^"]+)", \d, "[0-9A-T]*", '[A-T]'\}/g)) {
  industry[m[1]] = initials(m[2])
}
const nr = Object.keys(region).length
const ni = Object.keys(industry).length
if (nr !== 3213 || ni !== 1971) {
  console.error(`gen_initials: expected 3213 current regions and 1971 industries, read ${nr} and ${ni}`)
  process.exit(1)
}
const out = path.join(root, 'web', 'src', 'lib', 'initials.json')
const text = JSON.stringify({ region, industry }) + '\n'
if (!fs.existsSync(out) || fs.readFileSync(out, 'utf-8') !== text) fs.writeFileSync(out, text)
console.log(`gen_initials: ${nr} regions, ${ni} industries -> web/src/lib/initials.json`)

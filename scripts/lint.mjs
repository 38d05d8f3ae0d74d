#!/usr/bin/env node
// Project lint (CONVENTIONS.md): no `any` in lib/ outside tests, no focused tests, a header comment
// at the top of every lib/ source file, and no lib/ file over 600 lines. Exit 1 listing every finding.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const findings = []

function walk (dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'fixtures') continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (name.endsWith('.ts')) out.push(p)
  }
  return out
}

for (const file of walk(join(root, 'lib'))) {
  const rel = relative(root, file)
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n')
  const isTest = file.endsWith('.test.ts')
  if (!isTest) {
    lines.forEach((l, i) => {
      if (/^\s*(\*|\/\*)/.test(l)) return // JSDoc / block comment line
      const code = l.replace(/\/\/.*$/, '')
      if (/:\s*any\b|<any>|\bas any\b/.test(code)) findings.push(`${rel}:${i + 1}: 'any' in lib/ (use unknown and narrow)`)
    })
    if (!/^\s*(\/\/|\/\*)/.test(lines[0] ?? '')) findings.push(`${rel}:1: no header comment saying what the file is for`)
    if (lines.length > 600) findings.push(`${rel}: ${lines.length} lines (over 600: split by concern)`)
  }
}
for (const file of [...walk(join(root, 'lib')), ...walk(join(root, 'test'))]) {
  const text = readFileSync(file, 'utf8')
  text.split('\n').forEach((l, i) => {
    if (/\b(it|test|describe)\.only\(|\{\s*only:\s*true/.test(l)) findings.push(`${relative(root, file)}:${i + 1}: focused test`)
  })
}
if (findings.length > 0) {
  console.error(findings.join('\n'))
  console.error(`lint: ${findings.length} finding(s)`)
  process.exit(1)
}
console.log('lint: ok')

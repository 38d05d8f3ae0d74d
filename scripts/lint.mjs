#!/usr/bin/env node
// Project lint (CONVENTIONS.md): no `any` in lib/ outside tests, no focused tests, a header comment
// at the top of every lib/ source file, no lib/ file over 600 lines, the layer table (dependency
// direction between lib/ folders) and no import cycles. Exit 1 listing every finding.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

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

// ---- dependency direction (issue 12) -----------------------------------------------------------
// Layers, lowest first; a file may import its own layer and the layers below, never above:
//   util/text ← scim ← config/logging ← helpers/mail ← auth/plugins ← core ← stream ← collector/launcher
// The launcher (lib/launcher) is what wires core and stream together; the top-level index.ts calls it.
const LAYERS = [
  [0, ['util', 'text']],
  [1, ['scim']],
  [2, ['config', 'logging']],
  [3, ['helpers', 'mail']],
  [4, ['auth', 'plugins']],
  [5, ['core']],
  [6, ['stream']],
  [7, ['collector', 'launcher']],
  [8, ['package']]
]
const rankOf = new Map(LAYERS.flatMap(([rank, names]) => names.map(n => [n, rank])))

/** The layer of a lib/ file: its top folder, or `package` for lib/index.ts. */
function layerOf (rel) {
  // lib/index.ts: the npm package's public API, above everything it re-exports
  if (rel === 'lib/index.ts') return 'package'
  const top = rel.split('/')[1]
  return top !== undefined && top.endsWith('.ts') ? 'lib' : top
}

// Known violations of the layer table: none (issue 12 removed the last ones). Keep it that way; an
// entry here needs a reason in the issue that adds it.
const LAYER_ALLOW = new Set([
])

/** Static imports and re-exports of a file (relative specifiers only), resolved to repo paths. */
function importsOf (file, text) {
  const out = []
  for (const m of text.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    let target = join(dirname(file), m[1])
    if (!target.endsWith('.ts')) target = existsSync(target + '.ts') ? target + '.ts' : join(target, 'index.ts')
    out.push(relative(root, target))
  }
  return out
}

const graph = new Map()
for (const file of [...walk(join(root, 'lib')).filter(f => !f.endsWith('.test.ts'))]) {
  const rel = relative(root, file)
  const deps = importsOf(file, readFileSync(file, 'utf8')).filter(d => d.startsWith('lib/'))
  graph.set(rel, deps)
  const from = layerOf(rel)
  for (const dep of deps) {
    const to = layerOf(dep)
    const a = rankOf.get(from)
    const b = rankOf.get(to)
    if (a === undefined || b === undefined) {
      findings.push(`${rel}: imports ${dep}: folder lib/${a === undefined ? from : to} is not in the layer table (scripts/lint.mjs)`)
      continue
    }
    if (b > a && !LAYER_ALLOW.has(`${rel} -> ${dep}`)) findings.push(`${rel}: imports ${dep} (${from} may not depend on ${to}: ${to} is a higher layer)`)
  }
}
// cycles: strongly connected components (Tarjan) of the file graph
{
  let index = 0
  const idx = new Map()
  const low = new Map()
  const stack = []
  const onStack = new Set()
  const sccs = []
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++
    stack.push(v); onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))) } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)))
    }
    if (low.get(v) === idx.get(v)) {
      const scc = []
      let w
      do { w = stack.pop(); onStack.delete(w); scc.push(w) } while (w !== v)
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) sccs.push(scc.sort())
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  // every cycle is a finding: none is allowed
  for (const scc of sccs) {
    findings.push(`import cycle: ${scc.join(' → ')} (break it: one direction per dependency)`)
  }
}

if (findings.length > 0) {
  console.error(findings.join('\n'))
  console.error(`lint: ${findings.length} finding(s)`)
  process.exit(1)
}
console.log('lint: ok')

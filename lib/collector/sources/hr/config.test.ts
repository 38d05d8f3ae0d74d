// parseHrConfig: the documented hr.<tenant> keys read into a typed, defaulted form; every problem
// reported with its path at once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseHrConfig, HrConfigError, createHrCollector } from './index.ts'
import { silentLogger } from '../../../logging/types.ts'

test('defaults, trailing slashes, a single oauth client as a list, unknown section keys ignored', () => {
  const cfg = parseHrConfig({
    auth: { base_urls: ['https://api4.successfactors.com/'], oauth: { token_url: '/oauth/token', client_id: 'a', client_secret: 'b' }, header: { 'X-Trace': 1 } },
    general: { collect_query_string: 'odata/v2/PerPerson', collect_interval: '600', do_initial_load: true },
    streams: [], mapper: { user: [] }
  })
  assert.deepEqual(cfg.auth.base_urls, ['https://api4.successfactors.com'])
  assert.equal(cfg.auth.oauth?.length, 1)
  assert.deepEqual(cfg.auth.header, { 'X-Trace': '1' })
  assert.equal(cfg.general.collect_query_string, '/odata/v2/PerPerson')
  assert.equal(cfg.general.collect_interval, '600')
  assert.equal(cfg.general.request_timeout, 90, 'the documented default')
  assert.equal(cfg.general.max_retries, 3)
  assert.equal(cfg.general.pre_activate_days, 0)
  assert.equal(cfg.general.start_date_path, 'employmentNav.results.startDate')
  assert.equal(cfg.general.end_date_path, 'employmentNav.results.endDate')
  assert.equal(cfg.general.collect_query_result_path, undefined)
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.auth) && Object.isFrozen(cfg.general))
  assert.deepEqual(parseHrConfig(cfg), cfg, 'a parsed config parses to itself')
})

test('every problem is listed with its path', () => {
  try {
    parseHrConfig({
      auth: { base_urls: ['ftp://x', 'https://ok'], basic: { username: '' }, bearer_token: 'x', oauth: [{ token_url: '/t', client_id: 'c' }] },
      general: { request_timeout: -1, pre_activate_days: 1.5, collect_interval: 'every hour' }
    })
    assert.fail('should throw')
  } catch (err) {
    assert.ok(err instanceof HrConfigError)
    const paths = err.problems.map(p => p.path).sort()
    assert.deepEqual(paths, [
      'auth',
      'auth.base_urls[0]',
      'auth.basic.password',
      'auth.basic.username',
      'auth.oauth[0].client_secret',
      'general.collect_interval',
      'general.collect_query_string',
      'general.pre_activate_days',
      'general.request_timeout'
    ])
  }
})

test('missing base_urls; createHrCollector validates too', () => {
  assert.throws(() => parseHrConfig({ general: { collect_query_string: '/x' } }), (err: Error) => err instanceof HrConfigError && err.problems[0]?.path === 'auth.base_urls')
  assert.throws(() => createHrCollector({ auth: {}, general: {} }, { log: silentLogger }), HrConfigError)
})

test('general.hr: the documented place of the HR keys; both places with different values is an error', () => {
  const cfg = parseHrConfig({
    auth: { base_urls: ['https://sf.test'], bearer_token: { token: 't' } },
    general: { collect_interval: '15 1 * * 1-5', hr: { collect_query_string: '/odata/v2/PerPerson', collect_query_result_path: 'd.results', pre_activate_days: 3 } }
  })
  assert.equal(cfg.general.collect_query_string, '/odata/v2/PerPerson')
  assert.equal(cfg.general.collect_query_result_path, 'd.results')
  assert.equal(cfg.general.pre_activate_days, 3)
  assert.equal(cfg.auth.bearer_token, 't')
  assert.throws(() => parseHrConfig({ auth: { base_urls: ['https://sf.test'] }, general: { pre_activate_days: 1, hr: { collect_query_string: '/x', pre_activate_days: 2 } } }),
    (err: Error) => err instanceof HrConfigError && err.problems.some(p => p.path === 'general.hr.pre_activate_days' && /also set as general\.pre_activate_days/.test(p.message)))
  assert.throws(() => parseHrConfig({ auth: { base_urls: ['https://sf.test'] }, general: { hr: { pre_activate_days: -1 } } }),
    (err: Error) => err instanceof HrConfigError && err.problems.some(p => p.path === 'general.hr.pre_activate_days') && err.problems.some(p => p.path === 'general.hr.collect_query_string' || p.path === 'general.collect_query_string'))
})

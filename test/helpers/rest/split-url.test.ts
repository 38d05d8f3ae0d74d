// The REST client sends through its dispatcher with origin and path split by splitUrl (no URL
// parse per request); what a request line cannot carry as it is goes through the URL parser.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { splitUrl } from '../../../lib/helpers/rest/client.ts'

test('splitUrl: origin and request path (query kept; "/" when there is no path)', () => {
  assert.deepEqual(splitUrl('http://h:8880/scim/Users?x=1'), { origin: 'http://h:8880', path: '/scim/Users?x=1' })
  assert.deepEqual(splitUrl('https://h'), { origin: 'https://h', path: '/' })
  assert.deepEqual(splitUrl('https://h?a=b'), { origin: 'https://h', path: '/?a=b' })
  assert.deepEqual(splitUrl('http://[::1]:9/Users/a%2Fb'), { origin: 'http://[::1]:9', path: '/Users/a%2Fb' })
})

test('splitUrl: spaces and non-ASCII are percent-encoded as the URL parser does', () => {
  assert.deepEqual(splitUrl('http://h/a b/ü?q=x y'), { origin: 'http://h', path: '/a%20b/%C3%BC?q=x%20y' })
})

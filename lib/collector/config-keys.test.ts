// The unknown-key report of the tenants' loose sections: every key the collectors read is known (their
// exported lists), the documented auth shapes pass, and a key nothing reads is a problem with its path —
// also inside Entra's oauth (no URLs there) and in each client of an HR oauth list.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { unknownTenantKeys } from './config-keys.ts'
import { ENTRA_AUTH_KEYS, ENTRA_GENERAL_KEYS, ENTRA_OPTION_KEYS } from './sources/entra/config.ts'
import { HR_AUTH_KEYS, HR_GENERAL_KEYS, HR_SAML_KEYS } from './sources/hr/config.ts'
import type { JsonObject } from '../scim/types.ts'

const paths = (config: JsonObject): string[] => unknownTenantKeys(config).map(p => `${p.path}: ${p.message}`)
const every = (keys: readonly string[]): JsonObject => Object.fromEntries(keys.map(k => [k, 'x']))

describe('collector config: unknown tenant keys', () => {
  it('every key the collectors export is known', () => {
    assert.deepEqual(paths({
      entra: { t: { auth: every(ENTRA_AUTH_KEYS), general: { ...every(ENTRA_GENERAL_KEYS), entra: every(ENTRA_OPTION_KEYS), do_initial_load_filter: null } } },
      hr: { h: { auth: { ...every(HR_AUTH_KEYS), oauth_saml_assertion: every(HR_SAML_KEYS) }, general: every(HR_GENERAL_KEYS.filter(k => k !== 'hr')) } }
    }), [])
  })

  const cases: Array<{ name: string, config: JsonObject, want: string[] }> = [
    {
      name: 'documented Entra clients pass; a URL inside oauth is read by nothing',
      config: { entra: { t: { auth: { oauth: { clients: [{ client_id: 'a', client_secret: 'b' }, { client_id: 'c', client_secret: 'd', scope: 'x' }], login_url: 'https://l' } } } } },
      want: [
        'entra.t.auth.oauth.clients[1].scope: unknown key; allowed: client_id, client_secret',
        'entra.t.auth.oauth.login_url: unknown key; allowed: clients'
      ]
    },
    {
      name: 'HR oauth as a list: each client checked',
      config: { hr: { h: { auth: { oauth: [{ token_url: 'u', client_id: 'a', client_secret: 'b' }, { token_url: 'u', client_id: 'a', client_secre: 'b' }] } } } },
      want: ['hr.h.auth.oauth[1].client_secre: unknown key (did you mean "client_secret"?)']
    },
    {
      name: 'HR documented bearer_token { token } and oauth { clients } with a shared token_url',
      config: { hr: { h: { auth: { bearer_token: { tokn: 'x' }, oauth: { token_url: 'u', clients: [{ client_id: 'a', client_secret: 'b' }] } } } } },
      want: ['hr.h.auth.bearer_token.tokn: unknown key (did you mean "token"?)']
    },
    {
      name: 'Entra options under general.entra',
      config: { entra: { t: { general: { entra: { include_guest_user: true, tenant_id: 'x' } } } } },
      want: ['entra.t.general.entra.include_guest_user: unknown key (did you mean "include_guest_users"?)']
    }
  ]
  for (const c of cases) {
    it(c.name, () => { assert.deepEqual(paths(c.config), c.want) })
  }
})

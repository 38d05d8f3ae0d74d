// The `endpoint` section of config/plugin-soap.json: the service's WSDL (file relative to the config
// directory, or URL), an optional service URL overriding the WSDL's address, and the WS-Security
// UsernameToken credentials — `endpoint.username` / `endpoint.password` as scimgateway documents
// them — per baseEntity under `entity.<baseEntity>` or plugin-wide.
import { endpointSchema, s } from '../sdk/index.ts'

const settings = {
  wsdl: s.string({ minLength: 1 }).optional().describe('WSDL file (relative to the config directory) or http(s) URL'),
  serviceUrl: s.string({ pattern: /^https?:\/\/\S+$/, patternName: 'http(s) URL' }).optional().describe('overrides the WSDL soap:address'),
  username: s.string().optional(),
  password: s.string().optional(),
  timeoutMs: s.integer({ min: 1 }).optional()
}

export const soapEndpointSchema = endpointSchema({ top: settings, entity: settings }).refine((v, report) => {
  const keys = Object.keys(v.entity)
  if (keys.length === 0 && v.wsdl === undefined) report('required (or endpoint.entity.<baseEntity>.wsdl)', ['wsdl'])
  for (const k of keys) if (v.entity[k]?.wsdl === undefined && v.wsdl === undefined) report('required when endpoint.wsdl is not given', ['entity', k, 'wsdl'])
})

export type SoapEndpoint = s.Infer<typeof soapEndpointSchema>

/** One baseEntity's settings with the plugin-wide ones applied. */
export interface SoapEntity { wsdl: string, serviceUrl?: string, username?: string, password?: string, timeoutMs: number }

export function soapEntities (e: SoapEndpoint): Record<string, SoapEntity> {
  const entity = Object.keys(e.entity).length > 0 ? e.entity : { undefined: {} }
  const out: Record<string, SoapEntity> = {}
  for (const [k, v] of Object.entries(entity)) {
    const m = { ...stripUndefined(e), ...stripUndefined(v) }
    out[k] = { wsdl: String(m.wsdl), timeoutMs: typeof m.timeoutMs === 'number' ? m.timeoutMs : 10_000 }
    const o = out[k]
    if (typeof m.serviceUrl === 'string') o.serviceUrl = m.serviceUrl
    if (typeof m.username === 'string') o.username = m.username
    if (typeof m.password === 'string') o.password = m.password
  }
  return out
}

function stripUndefined (o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined && k !== 'entity') out[k] = v
  return out
}

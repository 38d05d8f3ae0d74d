// The collectors the service uses unless told otherwise: `hr.<tenant>` → the generic REST HR
// collector (lib/collector/sources/hr) with its Joiner-Mover-Leaver lifecycle. `entra.<tenant>` has
// no collector in this package yet: such a tenant is configured and gets its NATS account and stream
// (so subscribers can be set up), but its runs report that no collector is available.
//
// The HR module is loaded on first use, behind the small adapter below, so the service does not
// depend on its internals (what `collect()` yields: an async iterable of persons, or an object with
// `persons` and `complete()`).
import type { JsonObject } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import type { RunSource, LifecycleDecision } from './pipeline.ts'
import type { SourceFactory, CollectorHandle } from './tenant-runtime.ts'

const HR_MODULE = './sources/hr/index.ts'

interface HrModule {
  createHrCollector: (cfg: unknown, deps: unknown) => { collect: () => unknown }
  lifecycleOf?: (person: JsonObject, opts: unknown) => unknown
}

/** Collectors by tenant type. */
export const defaultSources: SourceFactory = (tenant, type, cfg, log): CollectorHandle => {
  if (type === 'entra') {
    return {
      collect: () => ({
        persons: failing(new Error(`entra.${tenant}: no Entra ID collector in this build; the tenant's stream exists but nothing is collected`)),
        complete: () => false
      })
    }
  }
  let mod: Promise<HrModule> | undefined
  const load = async (): Promise<HrModule> => {
    mod ??= import(HR_MODULE).then((m: unknown) => {
      if (typeof m !== 'object' || m === null || typeof (m as HrModule).createHrCollector !== 'function') {
        throw new Error('the HR collector module does not export createHrCollector')
      }
      return m as HrModule
    })
    return await mod
  }
  return {
    collect (): RunSource {
      let complete = false
      async function * persons (): AsyncGenerator<JsonObject> {
        const m = await load()
        const collector = m.createHrCollector(cfg, { log, tenant })
        const result = await Promise.resolve(collector.collect())
        const iterable = isAsyncIterable(result)
          ? result
          : isJsonObject(result as never) && isAsyncIterable((result as { persons?: unknown }).persons)
            ? (result as { persons: AsyncIterable<unknown> }).persons
            : Array.isArray(result) ? toAsync(result) : undefined
        if (iterable === undefined) throw new Error('the HR collector returned nothing iterable')
        for await (const p of iterable) if (isJsonObject(p as never)) yield p as JsonObject
        const c = (result as { complete?: unknown }).complete
        complete = typeof c === 'function' ? (c as () => boolean)() !== false : true
      }
      return { persons: persons(), complete: () => complete }
    },
    lifecycle: (person: JsonObject): LifecycleDecision => lifecycleDecision(person)
  }

  function lifecycleDecision (person: JsonObject): LifecycleDecision {
    const l = person.__lifecycle
    if (isJsonObject(l ?? null) && l !== undefined && l !== null && typeof l === 'object' && !Array.isArray(l)) {
      const include = l.include !== false
      return typeof l.active === 'boolean' ? { include, active: l.active } : { include }
    }
    return { include: true }
  }
}

async function * failing (err: Error): AsyncGenerator<JsonObject> {
  yield * []
  throw err
}

async function * toAsync (list: readonly unknown[]): AsyncGenerator<unknown> {
  for (const x of list) yield x
}

function isAsyncIterable (v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v
}

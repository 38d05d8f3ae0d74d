// Where Microsoft's SCIM validation collection is: ENTRA_SCIM_COLLECTION when set, else the copy kept
// beside the project (../shared/conformance, as CI lays it out). Tests skip, saying this, when neither exists.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function entraCollectionPath (): string {
  const env = process.env.ENTRA_SCIM_COLLECTION
  if (env !== undefined && env !== '') return env
  return fileURLToPath(new URL('../../../shared/conformance/entra-scim-reference.postman_collection.json', import.meta.url))
}

/** false when the collection is there, else the reason to skip. */
export function entraCollectionSkip (): false | string {
  const p = entraCollectionPath()
  return existsSync(p) ? false : `Microsoft's collection not found at ${p}: set ENTRA_SCIM_COLLECTION to PostmanCollection.json of AzureAD/SCIMReferenceCode`
}

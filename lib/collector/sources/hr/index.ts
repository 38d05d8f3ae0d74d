// Public API of the HR collector (hr.<tenant>): the collector, its config reader, the
// Joiner-Mover-Leaver lifecycle, the error types and its source definition (sources/registry.ts).
// Everything else in this folder is internal.
export { createHrCollector, HrCollectError, type HrCollector, type HrCollectorDeps, type HrCollectResult, type HrStream, type HrRecordProblem } from './collector.ts'
export { parseHrConfig, HrConfigError, HR_AUTH_KEYS, HR_SAML_KEYS, HR_GENERAL_KEYS, DEFAULT_START_DATE_PATH, DEFAULT_END_DATE_PATH, type HrCollectorConfig, type HrAuthConfig, type HrGeneralConfig, type HrOAuthClient, type HrConfigProblem, type HrSamlConfig } from './config.ts'
export { lifecycleOf, compileLifecycle, HrRecordError, type HrLifecycle, type HrLifecycleState, type LifecycleOptions } from './lifecycle.ts'
export { checkSamlFiles, loadSamlKeys, hrSamlAssertion, SAML2_BEARER_GRANT } from './saml-token.ts'
export { hrSource, hrConfigProblems } from './definition.ts'
// HTTP failures are RestErrors of the shared client (status, kind, url)
export { RestError, isRestError } from '../../../helpers/rest/index.ts'

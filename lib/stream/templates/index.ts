// Public API of the subscriber's template functions (GetUniqueValue, Increment, Join, Normalize,
// LowerCase, UpperCase, FirstN, ElementNumber, Replace with `[attr.path]` references).
export { parseTemplate, looksLikeTemplate, needsEndpoint, TemplateError, type TemplateNode, type FunctionName } from './parse.ts'
export { evaluateTemplate, readPath, FIRST_NUMBER, MAX_CANDIDATES, type TemplateEndpoint, type TemplateContext, type TemplateValue } from './evaluate.ts'
export { resolveTemplates, containsTemplate, targetPath, type ResolveOptions } from './resolve.ts'
export { serviceTemplateEndpoint } from './endpoint.ts'
export { normalizeText } from './normalize.ts'

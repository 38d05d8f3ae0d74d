// Public API of the SCIM Stream mapper: compile a tenant's `mapper.user` once, map many sources.
// Also the HR date helpers the HR collector reuses (joiner/leaver dates, current employment).
export type { Compiled } from './compile-expr.ts'
export type { FnContext } from './function-types.ts'
export { compileMapper, compileSource, type CompiledMapper, type CompileMapperOptions, type MapperEntry, type MapperError } from './compile.ts'
export { parseHrDate, mostCurrent } from './hr-date.ts'
export { parseExpression } from './expr-parser.ts'
export { parseSourcePath, readSourcePath } from './source-path.ts'
export { compileMapTo, CORE_USER_SCHEMA, type Setter } from './map-to.ts'
export { evaluatedFunctionNames } from './functions.ts'
export { cloneJson } from './values.ts'
export { MapperSyntaxError, type Expr, type SourcePath, type PathStep } from './ast.ts'

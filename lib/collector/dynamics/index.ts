// Public API of dynamics (ABAC/RBAC rules): compile dynamics[] once, apply to each user.
export { compileDynamics, applyDynamics, type CompiledDynamics, type DynamicDef } from './dynamics.ts'

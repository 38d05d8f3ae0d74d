// Normalize() of the subscriber's templates: the shared implementation (lib/text/normalize.ts), so
// the gateway computes exactly what the collector's mapper computes ("Ærøskøbing" → "Aeroskobing").
export { normalizeText } from '../../text/normalize.ts'

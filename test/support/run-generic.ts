// Entry point for tests: serves plugin-generic exactly as index.ts would with its opt-in lines
// uncommented (config/plugin-generic.json from SCIM_CONFIG_DIR, PORT override), without loki.
import { runGateway } from '../../lib/launcher/index.ts'
import { genericPlugin } from '../../lib/plugins/plugin-generic.ts'

await runGateway(genericPlugin)

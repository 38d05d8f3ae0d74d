// Entry point for tests: serves plugin-entra-id exactly as index.ts does with SCIM_PLUGINS=entra-id
// (config/plugin-entra-id.json from SCIM_CONFIG_DIR, PORT override).
import { runGateway } from '../../lib/launcher/index.ts'
import { entraIdPlugin } from '../../lib/plugins/plugin-entra-id.ts'

await runGateway(entraIdPlugin)

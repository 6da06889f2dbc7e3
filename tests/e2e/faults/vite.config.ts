/**
 * The extension build plus the faults view's own page (src/panel/faults/faults.html),
 * for the fault-injection e2e tests until it is listed in vite.config.ts:
 *   npx vite build -c tests/e2e/faults/vite.config.ts --outDir /tmp/dist-faults
 *   SSE_CONNECTIONS_DIST=/tmp/dist-faults npx playwright test tests/e2e/faults
 */
import { mergeConfig, type UserConfig } from 'vite';
import base from '../../../vite.config';

export default mergeConfig(base as UserConfig, {
  build: { rollupOptions: { input: { faults: 'src/panel/faults/faults.html' } } },
});

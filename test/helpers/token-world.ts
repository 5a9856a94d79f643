import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { importRefreshToken } from '../../src/cli/tokens.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { SimOptions } from '../../src/sim/index.js';
import { TeslaOAuthClient } from '../../src/tesla/oauth.js';
import { TokenBroker } from '../../src/tokens/broker.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { captureLogger } from './log-capture.js';
import { inProcessSim } from './sim.js';
import { tempDir } from './temp.js';

/**
 * The in-process world most Worker and Scout tests start from: the simulator with one account, an encrypted
 * file store in a temp dir holding that account's refresh token (account "default"), and a broker over both.
 * With a ManualClock, the simulator, store, client and broker all run on it.
 */
export async function tokenWorld(options: { clock?: ManualClock; sim?: SimOptions; vehicles?: number } = {}) {
  const { clock } = options;
  const sim = await inProcessSim({ ...options.sim, ...(clock && { clock }) });
  const dir = await tempDir();
  const store = new FileTokenStore({ path: join(dir.path, 'store.json'), key: randomBytes(32), ...(clock && { clock }) });
  const account = await sim.createAccount(options.vehicles ? { vehicles: options.vehicles } : {});
  await importRefreshToken(store, 'default', account.refresh_token);
  const log = captureLogger('worker');
  const oauth = new TeslaOAuthClient({ authUrl: sim.base, clientId: account.client_id, fetch: sim.fetch, ...(clock && { clock }) });
  const broker = new TokenBroker({ store, tesla: oauth, logger: log.logger, ...(clock && { clock }) });
  return {
    sim,
    store,
    account,
    log,
    broker,
    async close() {
      await store.close();
      await sim.close();
      await dir.cleanup();
    },
  };
}

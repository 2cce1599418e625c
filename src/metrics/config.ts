// conf/metrics.json: whether this server keeps and serves metrics. Absent means on; a bad file
// stops start-up naming the key (as every conf file does).
import { ConfigError } from '../config/conf';

export interface MetricsConfig {
  /** false: nothing is counted and GET /openidm/metrics/prometheus answers 404 saying why. */
  enabled: boolean;
}

const KEYS = ['enabled'];

export function validateMetricsConfig(json: unknown, file = 'metrics.json'): MetricsConfig {
  if (json === undefined) return { enabled: true };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(file, '(root) must be an object');
  for (const k of Object.keys(json)) if (!KEYS.includes(k)) throw new ConfigError(file, `${k} is not a known key (known: ${KEYS.join(', ')})`);
  const enabled = (json as { enabled?: unknown }).enabled ?? true;
  if (typeof enabled !== 'boolean') throw new ConfigError(file, 'enabled must be true or false');
  return { enabled };
}

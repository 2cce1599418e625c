// conf/metrics.json: whether this server keeps and serves metrics. Absent means on; a bad file
// stops start-up naming the key (as every conf file does).
import { ConfigError } from '../config/conf';
import { NotSupported } from '../errors';

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

/** What PUT/DELETE config/metrics changes on a running server (src/config/live.ts). */
export interface MetricsSwitch {
  /** This server's metrics; null when it started with them off (turning them on needs a restart). */
  metrics: { served: boolean } | null;
}

/**
 * config/metrics at run time: "enabled": false stops serving /openidm/metrics/prometheus at once;
 * "enabled": true serves it again, where the server started with metrics on. A server started
 * with them off has no counters to serve: that change is refused (a restart is needed).
 */
export function metricsLiveObject(sw: MetricsSwitch) {
  return {
    async prepare(file: string, json: unknown | null, from: 'request' | 'poll') {
      const cfg = validateMetricsConfig(json === null ? undefined : json, file);
      if (cfg.enabled && !sw.metrics) {
        const msg = 'metrics were off when this server started (conf/metrics.json "enabled": false), so it has counted nothing: turning them on needs a restart';
        if (from === 'request') throw new NotSupported(msg);
        throw new Error(msg);
      }
      return () => {
        if (sw.metrics) sw.metrics.served = cfg.enabled;
      };
    },
  };
}

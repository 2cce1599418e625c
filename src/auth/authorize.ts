// Authorization decisions: the services and routers call these with the principal.
import { Forbidden } from '../errors';
import { ADMIN_ROLE, AUTHORIZED_ROLE, METRICS_ROLE, Principal } from './interfaces';

export function isAdmin(p: Principal): boolean {
  return p.roles.includes(ADMIN_ROLE);
}

export function requireAdmin(p: Principal): void {
  if (!isAdmin(p)) throw new Forbidden('Access denied: requires the openidm-admin role');
}

/** A non-admin may act on its own managed/user entry only. */
export function requireSelfOrAdmin(p: Principal, component: string, id: string): void {
  if (isAdmin(p)) return;
  if (p.component === component && p.id === id) return;
  throw new Forbidden('Access denied');
}

/** Metrics are for administrators and for accounts with the openidm-prometheus role. */
export function requireMetricsReader(p: Principal): void {
  if (!isAdmin(p) && !p.roles.includes(METRICS_ROLE)) throw new Forbidden('Access denied: requires the openidm-admin or openidm-prometheus role');
}

/**
 * An account whose roles give it metrics and neither openidm-admin nor openidm-authorized (IDM's
 * `prometheus` user) reaches the metrics endpoint only: a scraper's password opens nothing else.
 */
export function confinedToMetrics(p: Principal): boolean {
  return p.roles.includes(METRICS_ROLE) && !isAdmin(p) && !p.roles.includes(AUTHORIZED_ROLE);
}

// info/ping (no credentials) and info/login (who am I).
import { Router } from 'express';
import { principalOf } from './authenticate';

export function pingRouter(): Router {
  const r = Router();
  r.get('/info/ping', (_req, res) => {
    res.json({ _id: '', state: 'ACTIVE_READY', shortDesc: 'OpenIDM ready' });
  });
  return r;
}

export function infoRouter(): Router {
  const r = Router();
  r.get('/info/login', (_req, res) => {
    const p = principalOf(res);
    res.json({
      _id: 'login',
      authenticationId: p.userName,
      authorization: { id: p.id, component: p.component, roles: p.roles.map((x) => `internal/role/${x}`) },
    });
  });
  return r;
}

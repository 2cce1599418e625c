// Sign-in for the web UI: credentials once, then an HttpOnly session cookie and a CSRF token
// (the cookie: sessionCookie.ts; what a session proves, and CSRF: src/auth/sessions.ts).
import express, { Router } from 'express';
import { badRequest, unauthorized } from '../crest/errors';
import { principalOf } from '../auth/authenticator';
import { AppContext } from '../context';
import { actionOf, unknownAction } from './http';
import { endSession, sessionOf, startSession } from './sessionCookie';

export function sessionRouter(ctx: AppContext): Router {
  const r = Router();
  r.post('/openidm/authentication', express.json({ limit: '16kb' }), async (req, res, next) => {
    const action = actionOf(req);
    // reauthenticate needs the caller authenticated: crestEndpoints.ts answers it after authentication.
    if (action === 'reauthenticate') return next();
    if (action === 'logout') {
      await endSession(ctx.sessions, req, res);
      // OpenIDM's AuthenticationService: logout answers {"success": true}.
      return res.json({ success: true });
    }
    if (action !== 'login') throw unknownAction(action);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const userName = body.username ?? req.get('X-OpenIDM-Username');
    const password = body.password ?? req.get('X-OpenIDM-Password');
    if (typeof userName !== 'string' || typeof password !== 'string' || !userName || !password) throw badRequest('username and password are required');
    if (userName.length > 255 || password.length > 1024) throw unauthorized();
    const account = await ctx.authenticator.signIn({ userName, password }, req.ip ?? 'unknown');
    const { csrfToken } = await startSession(ctx.sessions, req, res, account);
    const principal = principalOf(account);
    res.json({ _id: 'login', authenticationId: principal.userName, roles: principal.roles, component: principal.component, id: principal.id, csrfToken });
  });
  r.get('/openidm/authentication', async (req, res) => {
    const s = await sessionOf(ctx.sessions, req);
    if (!s) throw unauthorized('Not signed in');
    const { principal } = s;
    res.json({ _id: 'session', authenticationId: principal.userName, roles: principal.roles, component: principal.component, id: principal.id, csrfToken: s.csrf });
  });
  return r;
}

// The web UI: the inbox at /ui/, the admin console at /admin/, their shared assets and the
// bpmn-js viewer. Plain static files (no build step) under a strict Content-Security-Policy;
// mounted before authentication, as the pages sign in through /openidm/authentication.
import path from 'node:path';
import express, { NextFunction, Request, Response, Router } from 'express';
import { packageRoot } from '../config/project';
import { AppContext } from '../context';

/** Scripts only from this origin (no inline scripts); bpmn-js writes style attributes into its SVG. */
export const UI_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Files at the top of public/ that both pages load by absolute path. */
const SHARED = ['app.css', 'api.js', 'dom.js', 'pager.js', 'signin.js'];

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', UI_CSP);
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
}

export function uiRouter(_ctx: AppContext): Router {
  const root = packageRoot();
  const pub = path.join(root, 'public');
  // Strict routing, so "/ui" and "/ui/" are different routes and the redirect cannot loop.
  const r = Router({ strict: true });
  // Our own files are never cached (the app sends no-store): a deploy shows up on reload.
  const own = { index: 'index.html', cacheControl: false, dotfiles: 'ignore' as const, redirect: false };

  r.get('/', (_req, res) => res.redirect(302, '/ui/'));
  r.get('/ui', (_req, res) => res.redirect(301, '/ui/'));
  r.get('/admin', (_req, res) => res.redirect(301, '/admin/'));

  // /ui/ serves only the top level of public/: the admin pages live at /admin/.
  const inbox = express.static(pub, own);
  r.use('/ui', securityHeaders, (req, res, next) => (req.path.indexOf('/', 1) === -1 ? inbox(req, res, next) : next()));
  r.use('/admin', securityHeaders, express.static(path.join(pub, 'admin'), own));

  // Only bpmn-js's dist folder is exposed from node_modules; it changes with npm installs only.
  r.use('/vendor/bpmn-js', securityHeaders, express.static(path.join(root, 'node_modules', 'bpmn-js', 'dist'), { index: false, dotfiles: 'ignore', redirect: false, maxAge: '1h' }));

  for (const file of SHARED) {
    r.get(`/${file}`, securityHeaders, (_req, res, next) => {
      res.sendFile(file, { root: pub, cacheControl: false, dotfiles: 'ignore' }, (err) => err && next(err));
    });
  }
  return r;
}

// The web UI's pages and assets (src/api/ui.ts): outside /openidm (server "/"), no credentials
// (the pages sign in through /openidm/authentication). Described so that a request to them is
// known; their bodies are files, checked by content type only.
import { op } from './components';

const ROOT = [{ url: '/', description: 'The web UI, beside /openidm' }];
const file = (type: string, description: string) => ({ description, content: { [type]: { schema: { type: 'string' } } } });
const html = file('text/html', 'The page');
const redirect = (to: string) => ({ description: `Redirect to ${to}`, headers: { Location: { schema: { const: to } } } });
const fileName = { name: 'file', in: 'path', required: true, schema: { type: 'string' } };
const get = (summary: string, responses: Record<string, unknown>, parameters?: unknown[]) => ({
  servers: ROOT,
  ...(parameters ? { parameters } : {}),
  // 304: a conditional GET (If-None-Match / If-Modified-Since) of a file the browser holds.
  get: op({ summary, tags: ['ui'], public: true, responses: { ...(responses as Record<string, Record<string, unknown>>), ...(responses[200] ? { 304: { description: 'Not modified' } } : {}) }, errors: [404] }),
});
const font = {
  200: {
    description: 'The font',
    content: Object.fromEntries(['font/woff2', 'font/woff', 'font/ttf', 'application/vnd.ms-fontobject', 'image/svg+xml'].map((t) => [t, { schema: { type: 'string' } }])),
  },
};
const asset = { 200: { description: 'The file', content: { 'text/html': { schema: { type: 'string' } }, 'text/javascript': { schema: { type: 'string' } }, 'application/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } } };

export const paths = {
  '/': get('The inbox (redirect)', { 302: redirect('/ui/') }),
  '/ui': get('The inbox (redirect)', { 301: redirect('/ui/') }),
  '/ui/': get('The approval inbox', { 200: html }),
  '/ui/{file}': get("An inbox page's file", asset, [fileName]),
  '/admin': get('The admin console (redirect)', { 301: redirect('/admin/') }),
  '/admin/': get('The admin console', { 200: html }),
  '/admin/{file}': get("The admin console's files", asset, [fileName]),
  '/vendor/bpmn-js/{file}': get("bpmn-js's viewer", asset, [fileName]),
  '/vendor/bpmn-js/assets/{file}': get("bpmn-js's style sheets", asset, [fileName]),
  '/vendor/bpmn-js/assets/bpmn-font/css/{file}': get("bpmn-js's icon font style sheets", asset, [fileName]),
  '/vendor/bpmn-js/assets/bpmn-font/font/{file}': get("bpmn-js's icon font", font, [fileName]),
  '/app.css': get('The shared style sheet', { 200: file('text/css', 'The file') }),
  '/api.js': get('The shared REST client', { 200: file('text/javascript', 'The file') }),
  '/dom.js': get('The shared DOM helpers', { 200: file('text/javascript', 'The file') }),
  '/pager.js': get('The shared CREST pager for tables', { 200: file('text/javascript', 'The file') }),
  '/signin.js': get('The shared sign-in', { 200: file('text/javascript', 'The file') }),
};

export const schemas = {};

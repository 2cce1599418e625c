// reconflow's programmatic API (`require('reconflow')`): start the server with the default wiring
// (what `npm start` runs), or with hooks of one's own. The process-testing kit is `reconflow/testing`.
//
//   const { startServer, defaultHooks, runtimeOptions } = require('reconflow');
//   const server = await startServer(runtimeOptions(['-p', 'my-project']), defaultHooks());
//   …
//   await server.stop();
export { startServer } from './server';
export type { RunningServer, ServerHooks } from './server';
export { defaultHooks, buildServices } from './wiring';
export type { Services } from './wiring';
export { runtimeOptions } from './config/project';
export type { RuntimeOptions } from './config/project';
export { consoleLogger } from './log';
export type { Logger } from './context';

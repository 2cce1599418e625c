// A plain line logger; tests pass a quiet one.
import { Logger } from './context';

export function consoleLogger(prefix = 'reconflow'): Logger {
  const line = (level: string, msg: string) => `${new Date().toISOString()} ${level} ${prefix}: ${msg}`;
  return {
    info: (m) => console.log(line('INFO', m)),
    warn: (m) => console.warn(line('WARN', m)),
    error: (m, e) => console.error(line('ERROR', m), e instanceof Error ? e.stack : e ?? ''),
  };
}

export const quietLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

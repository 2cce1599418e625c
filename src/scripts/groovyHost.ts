// Runs Groovy (BPMN script tasks, conditions and listeners with scriptFormat/language "groovy", as
// OpenIDM's and IDM 7's processes are written) on Apache Groovy, in one long-lived sidecar JVM
// (groovy/Sidecar.groovy) per server. Calls are synchronous, like the JavaScript sandbox's
// (host.ts): bpmn-engine's listeners and reconflow's script callbacks expect an answer in the same
// turn. The caller sleeps in Atomics.wait while a relay thread (groovyRelaySource.ts) talks to the
// JVM; past the limit the relay kills the JVM and swaps in a booted spare.
//
// Groovy is optional. Without it (no `groovy` on PATH and no GROOVY_HOME, or no java), a definition
// that needs it is refused at deploy with `groovyMissing()`'s message.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { GROOVY_RELAY_SOURCE } from './groovyRelaySource';
import { awaitReply, READY } from './relayWait';

/** Heap of the sidecar JVM. */
export const GROOVY_HEAP_MB = 256;
/** A JVM starts and compiles the sidecar in 1-3 s; under load, more. Only bounds one that cannot start. */
const BOOT_TIMEOUT_MS = 60_000;

const BOOT_FAILED = 2;

export type GroovyKind = 'task' | 'listener';

export interface GroovyInstallation {
  java: string;
  /** Groovy's lib folder (its jars are readable to scripts: Groovy loads classes from them). */
  lib: string;
  classpath: string[];
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.realpathSync(file);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** The sidecar's source, beside this file in src/ (tsc does not copy it to dist/: look up from there). */
function sidecarFile(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'src', 'scripts', 'groovy', 'Sidecar.groovy');
    if (fs.existsSync(file)) return file;
    const here = path.join(dir, 'groovy', 'Sidecar.groovy');
    if (fs.existsSync(here)) return here;
    if (path.dirname(dir) === dir) throw new Error('src/scripts/groovy/Sidecar.groovy is missing from this installation');
  }
}

let located: GroovyInstallation | string | undefined;

/** Where Groovy and Java are, or why they cannot be used (a sentence). Looked up once. */
export function groovyInstallation(): GroovyInstallation | string {
  if (located !== undefined) return located;
  const home = process.env.GROOVY_HOME || (onPath('groovy') ? path.dirname(path.dirname(onPath('groovy')!)) : undefined);
  const javaHome = process.env.JAVA_HOME;
  const java = javaHome && fs.existsSync(path.join(javaHome, 'bin', 'java')) ? path.join(javaHome, 'bin', 'java') : onPath('java');
  if (!home) return (located = 'Apache Groovy is not installed (no `groovy` on PATH, no GROOVY_HOME)');
  if (!java) return (located = 'Java is not installed (no `java` on PATH, no JAVA_HOME)');
  const lib = path.join(home, 'lib');
  let jars: string[] = [];
  try {
    jars = fs.readdirSync(lib);
  } catch {
    return (located = `Groovy's lib folder ${lib} cannot be read`);
  }
  const core = jars.find((j) => /^groovy(-all)?-\d[\w.-]*\.jar$/.test(j));
  const json = jars.find((j) => /^groovy-json(-\d[\w.-]*)?\.jar$/.test(j));
  if (!core || (!json && !core.startsWith('groovy-all'))) return (located = `no Groovy jars in ${lib} (groovy-<version>.jar and groovy-json.jar)`);
  return (located = { java, lib, classpath: [core, json].filter((j): j is string => !!j).map((j) => path.join(lib, j)) });
}

/** The refusal for a definition element written in Groovy on a machine without it. */
export function groovyMissing(what: string): string | undefined {
  const found = groovyInstallation();
  if (typeof found !== 'string') return undefined;
  return `${what} is written in Groovy, and ${found}: install Apache Groovy and a JDK (Debian: apt-get install groovy) or set GROOVY_HOME and JAVA_HOME, or write it in JavaScript`;
}

interface Relay {
  worker: Worker;
  port: MessagePort;
  compilePort: MessagePort;
  flag: Int32Array;
  seq: number;
  dead: boolean;
}

export class GroovyHost {
  private relay: Relay;
  private readonly compiles = new Map<string, (error: string | undefined) => void>();
  private compileSeq = 0;

  constructor(private readonly inst: GroovyInstallation) {
    this.relay = this.spawn();
  }

  private spawn(): Relay {
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const compile = new MessageChannel();
    const sidecar = sidecarFile();
    const args = [
      '-Djava.security.manager=allow',
      `-Dreconflow.groovy.lib=${this.inst.lib}${path.sep}`,
      `-Xmx${GROOVY_HEAP_MB}m`,
      '-XX:+UseSerialGC',
      '-cp',
      this.inst.classpath.join(path.delimiter),
      'groovy.ui.GroovyMain',
      sidecar,
    ];
    const worker = new Worker(GROOVY_RELAY_SOURCE, {
      eval: true,
      name: 'reconflow-groovy-relay',
      workerData: { flag, port: port2, compilePort: compile.port2, java: this.inst.java, args },
      transferList: [port2, compile.port2],
      env: {},
    });
    compile.port1.on('message', (m: { seq: string; ok: boolean; message?: string }) => {
      const done = this.compiles.get(m.seq);
      this.compiles.delete(m.seq);
      done?.(m.ok ? undefined : (m.message ?? 'does not compile'));
    });
    // After the listener, which refs its port: an idle host keeps no process alive.
    worker.unref();
    port1.unref();
    compile.port1.unref();
    const relay: Relay = { worker, port: port1, compilePort: compile.port1, flag, seq: 0, dead: false };
    worker.on('error', () => (relay.dead = true));
    worker.on('exit', () => (relay.dead = true));
    return relay;
  }

  private ready(): Relay {
    if (this.relay.dead) this.relay = this.spawn();
    const relay = this.relay;
    const deadline = performance.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      const state = Atomics.load(relay.flag, READY);
      if (state === 1) return relay;
      if (state === BOOT_FAILED) {
        const why = (receiveMessageOnPort(relay.port)?.message as { bootFailed?: string } | undefined)?.bootFailed ?? 'the Groovy sidecar did not start';
        // The next call tries once more.
        Atomics.store(relay.flag, READY, 0);
        relay.port.postMessage({ op: 'restart' });
        throw new Error(why);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        relay.dead = true;
        relay.worker.terminate().catch(() => undefined);
        throw new Error(`the Groovy sidecar did not start within ${BOOT_TIMEOUT_MS} ms`);
      }
      Atomics.wait(relay.flag, READY, state, left);
    }
  }

  /**
   * Runs `source` with the variables' JSON (as the JavaScript sandbox takes it, meta included) and
   * returns `{v, r}` as JSON, with `o`, the `openidm` calls it made, when `calls` lets a script task
   * record them (scriptCalls.ts); throws the script's error, or ScriptLimitError past `limitMs`.
   */
  run(
    kind: GroovyKind, name: string, source: string, variablesJson: string, limitMs: number,
    opts: { autoStore?: boolean; calls?: boolean; conf?: { onLogs: (logs: string) => void; props: Record<string, string> } } = {},
  ): string | undefined {
    const relay = this.ready();
    const seq = ++relay.seq;
    // `conf`: a sync.json script, which gets `logger` (its lines come back with the reply) and `identityServer`.
    relay.port.postMessage({ seq, kind, name, src: source, json: variablesJson, autoStore: opts.autoStore === true, calls: opts.calls === true, ...(opts.conf && { conf: true, props: opts.conf.props }) });
    return awaitReply(relay, seq, limitMs, opts.conf?.onLogs);
  }

  /**
   * Compiles a script without running it (and keeps it compiled, in this JVM and any that replaces
   * it): the compiler's message when it does not compile. Asynchronous: deploy waits for it, no
   * thread sleeps while the JVM boots.
   */
  compile(name: string, source: string): Promise<string | undefined> {
    if (this.relay.dead) this.relay = this.spawn();
    const seq = `c${++this.compileSeq}`;
    const relay = this.relay;
    return new Promise((resolve) => {
      this.compiles.set(seq, resolve);
      // Keeps the process alive while an answer is due (the ports are unref'd otherwise).
      relay.compilePort.ref();
      relay.compilePort.postMessage({ seq, src: source, name });
    }).finally(() => {
      if (!this.compiles.size) relay.compilePort.unref();
    }) as Promise<string | undefined>;
  }

  /** compile() for a caller that cannot wait asynchronously (conf load): throws the compiler's message. */
  compileNow(name: string, source: string, limitMs: number): void {
    const relay = this.ready();
    const seq = ++relay.seq;
    relay.port.postMessage({ seq, op: 'compile', name, src: source });
    awaitReply(relay, seq, limitMs);
  }

  /** Stops the relay and its JVMs (tests; a server's end). */
  async close(): Promise<void> {
    this.relay.dead = true;
    await this.relay.worker.terminate().catch(() => undefined);
  }
}

let host: GroovyHost | undefined;

/** This thread's Groovy host, started on first use (start it early: a JVM boots in seconds). */
export function groovyHost(): GroovyHost {
  if (host) return host;
  const inst = groovyInstallation();
  if (typeof inst === 'string') throw new Error(`Groovy cannot run: ${inst}`);
  return (host = new GroovyHost(inst));
}

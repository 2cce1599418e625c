// What the engine layer learns about one definition version while it runs it: the waiting template
// new instances start from (template.ts) and the completion plan built on it (completionPlan.ts),
// both found by running bpmn-engine and kept so that later runs can skip it; and the templates that
// stored references name (TemplateRecord), read back from where the runtime keeps them.
//
// It belongs to the parsed definition (CompiledDefinition.learned, made by parseDefinition), not to
// the process: whoever holds the ParsedDefinition owns what was learned about it — Definitions'
// cache in a server (one per version id), engineWorker.ts's map in a worker thread, a test's
// variable — and it goes away with it. Two parses of the same XML learn separately, so nothing one
// runtime (or test) learns leaks into another.
import type { CompletionPlan } from './completionPlan';
import type { CompiledDefinition } from './parse';
import { StateFormatError } from './stateCodec';
import { templateFromRecord, type TemplateRecord, type WorkflowTemplate } from './template';

/**
 * Where a definition version's templates are kept durably (the repository, set by Definitions). A
 * template is saved before the first instance that refers to it is returned; a reference expands by
 * the saved record, whichever engine is installed by then.
 */
export interface TemplateStore {
  save(record: TemplateRecord): Promise<void>;
  /** A record saved by another process (a node running another engine release); undefined if none. */
  load(fingerprint: string): Promise<TemplateRecord | undefined>;
}

export class LearnedState {
  /** The start template the installed engine builds; built on first use, undefined when the definition has none. */
  template: Promise<WorkflowTemplate | undefined> | undefined;
  /** The completion plan over that template; undefined when there is no template. */
  plan: Promise<CompletionPlan | undefined> | undefined;
  /** Every template known by fingerprint: the one built here and those read back from records. */
  readonly known = new Map<string, WorkflowTemplate>();
  /** Absent: templates live in memory only (tests, a worker thread that is sent its records). */
  store: TemplateStore | undefined;
  /** Fingerprints saved to the store by this process. */
  private readonly saved = new Map<string, Promise<boolean>>();

  /** Adds stored records (a definition's rows, or those a worker thread is sent). */
  register(compiled: CompiledDefinition, records: TemplateRecord[]): void {
    for (const r of records) if (!this.known.has(r.fingerprint)) this.known.set(r.fingerprint, templateFromRecord(compiled, r));
  }

  /**
   * Saves a template before an instance may refer to it; false when the store refused (the caller
   * then runs the engine: a full state never depends on a record). Retried on the next start.
   */
  ensureSaved(template: WorkflowTemplate): Promise<boolean> {
    if (!this.store) return Promise.resolve(true);
    let p = this.saved.get(template.fingerprint);
    if (!p) {
      p = this.store.save(template.record()).then(
        () => true,
        () => {
          this.saved.delete(template.fingerprint);
          return false;
        },
      );
      this.saved.set(template.fingerprint, p);
    }
    return p;
  }

  /**
   * The template a stored reference names: a known one, a record in the store, or (a reference
   * stored before records existed) the one the installed engine builds, if it is the same.
   */
  async byFingerprint(compiled: CompiledDefinition, fingerprint: string, current: () => Promise<WorkflowTemplate | undefined>): Promise<WorkflowTemplate> {
    const known = this.known.get(fingerprint);
    if (known) return known;
    const record = await this.store?.load(fingerprint);
    if (record) {
      this.register(compiled, [record]);
      return this.known.get(fingerprint)!;
    }
    const built = await current();
    if (built?.fingerprint === fingerprint) return built;
    throw new StateFormatError(`instance state refers to workflow template ${fingerprint}, which is not stored for this definition and which the installed engine does not produce`);
  }
}

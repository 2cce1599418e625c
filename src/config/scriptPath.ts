// Where a conf script's `"file"` is found, in IDM's order (OpenIDM/IDM conf/script.json "sources":
// "project-script" &{launcher.project.location}/script, "project" &{launcher.project.location},
// then "default" &{launcher.install.location}/bin/defaults/script): the project's script/ folder
// first, then the project folder, then reconflow's built-in scripts. A project file of a built-in's
// name replaces the built-in, as in IDM.
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from './project';

/**
 * reconflow's own default scripts (IDM: bin/defaults/script), in defaults/script/ of the package; a
 * project file of the same name replaces one. The name and what reconflow does with the file.
 */
export const BUILT_IN_SCRIPTS: Readonly<Record<string, string>> = {
  'workflow/triggerWorkflowFromSync.js': "a policy action that starts the policy's workflowName for the row; reconflow recognizes it and starts the approvals itself, in batches (src/recon/policyScript.ts)",
};

/** Where the built-in scripts live. */
export const BUILT_IN_SCRIPT_DIR = path.join(packageRoot(), 'defaults', 'script');

export type ResolvedScript = { kind: 'project'; file: string; text: string } | { kind: 'builtin'; name: string; file: string; text: string };

export class ScriptPath {
  readonly dirs: string[];

  constructor(projectDir: string) {
    const root = path.resolve(projectDir);
    this.dirs = [path.join(root, 'script'), root];
  }

  /** What `name` resolves to, or null; throws for a name that would leave the search folders. */
  resolve(name: string): ResolvedScript | null {
    const n = name.replace(/\\/g, '/');
    if (n === '' || n.startsWith('/') || /^[A-Za-z]:/.test(n) || n.split('/').includes('..')) {
      throw new Error(`script file "${name}" must be a relative path without ".." (it is looked up in ${this.dirs.join(', ')})`);
    }
    for (const dir of this.dirs) {
      const file = path.join(dir, n);
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return { kind: 'project', file, text: fs.readFileSync(file, 'utf8') };
    }
    if (BUILT_IN_SCRIPTS[n] === undefined) return null;
    const file = path.join(BUILT_IN_SCRIPT_DIR, n);
    return { kind: 'builtin', name: n, file, text: fs.readFileSync(file, 'utf8') };
  }

  /** For messages: where a name was looked for. */
  searched(name: string): string {
    return [...this.dirs.map((d) => path.join(d, name)), 'reconflow\'s built-in scripts'].join(', ');
  }
}

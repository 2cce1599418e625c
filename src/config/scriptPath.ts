// Where a conf script's `"file"` is found, in IDM's order (OpenIDM/IDM conf/script.json "sources":
// "project-script" &{launcher.project.location}/script, "project" &{launcher.project.location},
// then "default" &{launcher.install.location}/bin/defaults/script): the project's script/ folder
// first, then the project folder, then reconflow's built-in scripts. A project file of a built-in's
// name replaces the built-in, as in IDM.
import fs from 'node:fs';
import path from 'node:path';

/**
 * IDM's default scripts that reconflow implements itself (not as script files): the name and what
 * reconflow does in its place.
 */
export const BUILT_IN_SCRIPTS: Readonly<Record<string, string>> = {
  'workflow/triggerWorkflowFromSync.js': "reconflow starts the policy's workflowName itself (src/approval/trigger.ts), as IDM's default script does",
};

export type ResolvedScript = { kind: 'project'; file: string; text: string } | { kind: 'builtin'; name: string };

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
    return BUILT_IN_SCRIPTS[n] !== undefined ? { kind: 'builtin', name: n } : null;
  }

  /** For messages: where a name was looked for. */
  searched(name: string): string {
    return [...this.dirs.map((d) => path.join(d, name)), 'reconflow\'s built-in scripts'].join(', ');
  }
}

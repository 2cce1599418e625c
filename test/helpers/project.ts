// A throwaway project folder (conf/, processes/, data/) so a test can change the CSV or sync.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/config/project';

export const HEADER = '"description", "uid", "username", "firstname", "lastname", "email", "mobileTelephoneNumber", "roles"';

export function csvRow(uid: string, over: Partial<Record<'description' | 'firstname' | 'lastname' | 'email' | 'phone' | 'roles', string>> = {}): string {
  const v = { description: 'Created By CSV', firstname: uid, lastname: 'Test', email: `${uid}@example.com`, phone: '1234567', roles: 'internal/role/openidm-authorized', ...over };
  return [v.description, uid, `${uid}@example.com`, v.firstname, v.lastname, v.email, v.phone, v.roles].map((x) => `"${x}"`).join(', ');
}

export interface TestProject {
  dir: string;
  writeCsv(lines: string[]): void;
  editSync(fn: (sync: any) => void): void;
  /** Copies test/fixtures/bpmn/<fixture> into the project's processes/ as <asName>. */
  addProcess(fixture: string, asName: string): void;
  remove(): void;
}

export function makeProject(): TestProject {
  const root = packageRoot();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-project-'));
  for (const sub of ['conf', 'processes', 'data']) fs.cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
  return {
    dir,
    writeCsv(lines) {
      fs.writeFileSync(path.join(dir, 'data', 'csvConnectorData.csv'), [HEADER, ...lines].join('\n') + '\n');
    },
    editSync(fn) {
      const file = path.join(dir, 'conf', 'sync.json');
      const sync = JSON.parse(fs.readFileSync(file, 'utf8'));
      fn(sync);
      fs.writeFileSync(file, JSON.stringify(sync, null, 2));
    },
    addProcess(fixture, asName) {
      fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'bpmn', fixture), path.join(dir, 'processes', asName));
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// .bar business archives (src/workflow/barArchive.ts): read in memory under limits; hostile
// archives (zip-slip names, too many entries, entries that inflate past their limit) are refused
// naming the archive and the entry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BAR_LIMITS, readBarArchive } from '../../../src/workflow/barArchive';
import { isProcessFile } from '../../../src/workflow/definitions';
import { makeZip, ZipEntryInput } from '../../helpers/zip';

describe('.bar archives', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-bar-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const bar = (entries: ZipEntryInput[]) => {
    const file = path.join(dir, `a${++n}.bar`);
    fs.writeFileSync(file, makeZip(entries));
    return file;
  };

  it('returns the process files and lists the entries it does not deploy', async () => {
    const file = bar([
      { name: 'managedUserApproval.bpmn20.xml', data: '<definitions/>', deflate: true },
      { name: 'diagrams/', data: '' },
      { name: 'diagrams/managedUserApproval.png', data: Buffer.from([0x89, 0x50]) },
      { name: 'sub/other.bpmn', data: '<x/>' },
    ]);
    const { entries, skipped } = await readBarArchive(file, isProcessFile);
    expect(entries.map((e) => [e.name, e.bytes.toString()])).toEqual([['managedUserApproval.bpmn20.xml', '<definitions/>'], ['sub/other.bpmn', '<x/>']]);
    expect(skipped).toEqual(['diagrams/managedUserApproval.png']);
  });

  it('refuses an entry whose name leaves the folder (zip-slip), naming archive and entry', async () => {
    const file = bar([{ name: '../../etc/evil.bpmn', data: '<x/>' }]);
    await expect(readBarArchive(file, isProcessFile)).rejects.toThrow(`Cannot deploy ${path.basename(file)}: entry "../../etc/evil.bpmn" has a path outside the archive`);
    await expect(readBarArchive(bar([{ name: '/abs.bpmn', data: '<x/>' }]), isProcessFile)).rejects.toThrow(/entry "\/abs\.bpmn" has a path outside/);
  });

  it('refuses too many entries, an entry over its size limit, and an entry that inflates past what it declares', async () => {
    const limits = { ...BAR_LIMITS, maxEntries: 3, maxEntryBytes: 1000, maxTotalBytes: 1500 };
    const many = bar(Array.from({ length: 4 }, (_, i) => ({ name: `p${i}.bpmn`, data: '<x/>' })));
    await expect(readBarArchive(many, isProcessFile, limits)).rejects.toThrow(/4 entries, more than the 3 allowed/);
    const big = bar([{ name: 'big.bpmn', data: 'a'.repeat(2000), deflate: true }]);
    await expect(readBarArchive(big, isProcessFile, limits)).rejects.toThrow(/entry "big\.bpmn" is 2000 bytes uncompressed, more than the 1000 allowed/);
    const total = bar([{ name: 'a.bpmn', data: 'a'.repeat(900) }, { name: 'b.bpmn', data: 'b'.repeat(900) }]);
    await expect(readBarArchive(total, isProcessFile, limits)).rejects.toThrow(/entry "b\.bpmn" takes the archive past 1500 bytes/);
    // A bomb: declares 10 bytes, inflates to 1 MB.
    const bomb = bar([{ name: 'bomb.bpmn', data: Buffer.alloc(1 << 20), deflate: true, declaredSize: 10 }]);
    await expect(readBarArchive(bomb, isProcessFile, limits)).rejects.toThrow(new RegExp(`Cannot deploy ${path.basename(bomb)}: entry "bomb\\.bpmn"`));
  });

  it('refuses a file that is not a zip', async () => {
    const file = path.join(dir, 'not.bar');
    fs.writeFileSync(file, 'hello');
    await expect(readBarArchive(file, isProcessFile)).rejects.toThrow(/Cannot deploy not\.bar: not a readable zip archive/);
  });
});

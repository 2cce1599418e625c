// A Flowable/Activiti business archive (.bar: a zip of process files, as IDM deploys from its
// workflow/ folder: "Package the workflow definition file in a Business Archive File (.bar)",
// PingIDM workflow guide, Create workflows). Read in memory with yauzl (maintained, streaming, checks
// each entry's real size against its declared size), never extracted to disk, under limits: an
// archive with too many entries, an entry or a total larger than allowed, or an entry whose name
// would leave the folder (absolute, "..", a drive letter) is refused naming the archive and the entry.
import path from 'node:path';
import yauzl from 'yauzl';
import { DefinitionError } from './interfaces';

export const BAR_LIMITS = {
  /** Entries (files and folders) in one archive. */
  maxEntries: 1000,
  /** Uncompressed bytes of one entry. */
  maxEntryBytes: 16 * 1024 * 1024,
  /** Uncompressed bytes of every entry read from one archive. */
  maxTotalBytes: 64 * 1024 * 1024,
};

export interface BarEntry {
  name: string;
  bytes: Buffer;
}

/** A name that stays inside the archive's folder: relative, no "..", no drive, no backslash tricks. */
function unsafeName(name: string): boolean {
  const n = name.replace(/\\/g, '/');
  return n.startsWith('/') || /^[A-Za-z]:/.test(n) || n.split('/').includes('..') || n.includes('\0');
}

/**
 * The files of an archive that `wanted` selects, in archive order; the others are listed in
 * `skipped`. Throws DefinitionError naming the archive (and entry) when it breaks a limit.
 */
export function readBarArchive(file: string, wanted: (name: string) => boolean, limits = BAR_LIMITS): Promise<{ entries: BarEntry[]; skipped: string[] }> {
  const archive = path.basename(file);
  const refuse = (what: string) => new DefinitionError(`Cannot deploy ${archive}: ${what}`);
  return new Promise((resolve, reject) => {
    // decodeStrings false: names are checked here, so the refusal names the archive and the entry.
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: false }, (err, zip) => {
      if (err || !zip) return reject(refuse(`not a readable zip archive (${err?.message ?? 'no archive'})`));
      if (zip.entryCount > limits.maxEntries) {
        zip.close();
        return reject(refuse(`${zip.entryCount} entries, more than the ${limits.maxEntries} allowed`));
      }
      const entries: BarEntry[] = [];
      const skipped: string[] = [];
      let total = 0;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        zip.close();
        reject(e);
      };
      zip.on('error', (e: Error) => fail(refuse(`not a readable zip archive (${e.message})`)));
      zip.on('end', () => {
        if (!failed) resolve({ entries, skipped });
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        const raw = entry.fileName as unknown as Buffer;
        // General purpose bit 11: the name is UTF-8; otherwise CP437, read here as latin1 (names are ASCII in practice).
        const name = raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
        if (unsafeName(name)) return fail(refuse(`entry "${name}" has a path outside the archive (absolute or with ".."); the archive is not deployed`));
        if (name.endsWith('/')) return zip.readEntry();
        if (!wanted(name)) {
          skipped.push(name);
          return zip.readEntry();
        }
        if (entry.uncompressedSize > limits.maxEntryBytes) return fail(refuse(`entry "${name}" is ${entry.uncompressedSize} bytes uncompressed, more than the ${limits.maxEntryBytes} allowed`));
        if (total + entry.uncompressedSize > limits.maxTotalBytes) return fail(refuse(`entry "${name}" takes the archive past ${limits.maxTotalBytes} bytes uncompressed`));
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(refuse(`entry "${name}" cannot be read (${e?.message ?? 'no stream'})`));
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (c: Buffer) => {
            size += c.length;
            // yauzl also stops a stream that passes its declared size; this holds even if it did not.
            if (size > limits.maxEntryBytes || total + size > limits.maxTotalBytes) {
              stream.destroy();
              fail(refuse(`entry "${name}" inflates past its limit (${limits.maxEntryBytes} bytes an entry, ${limits.maxTotalBytes} an archive)`));
              return;
            }
            chunks.push(c);
          });
          stream.on('error', (se: Error) => fail(refuse(`entry "${name}" cannot be read (${se.message})`)));
          stream.on('end', () => {
            if (failed) return;
            total += size;
            entries.push({ name, bytes: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

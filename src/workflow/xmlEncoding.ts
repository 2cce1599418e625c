// BPMN files arrive as bytes (a file in the process folder, a REST upload) in whatever encoding the
// modeler wrote: decode them as XML 1.0 says (a byte order mark, else the declaration's encoding,
// else UTF-8) instead of assuming UTF-8. Undecodable bytes are refused, never replaced silently.
import { DefinitionError } from './interfaces';

function declaredEncoding(bytes: Uint8Array): string | undefined {
  // The declaration is ASCII in every ASCII-compatible encoding.
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const decl = /^<\?xml[^>]*?\bencoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\1/.exec(head);
  return decl?.[2];
}

/** The encoding of an XML document's bytes and how many bytes of byte order mark precede it. */
function sniff(bytes: Uint8Array): { encoding: string; skip: number } {
  const [a, b, c] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return { encoding: 'utf-8', skip: 3 };
  if (a === 0xff && b === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: 'utf-16be', skip: 2 };
  if (a === 0x3c && b === 0x00) return { encoding: 'utf-16le', skip: 0 };
  if (a === 0x00 && b === 0x3c) return { encoding: 'utf-16be', skip: 0 };
  return { encoding: declaredEncoding(bytes) ?? 'utf-8', skip: 0 };
}

/**
 * Decodes an XML document's bytes by its byte order mark, else its declaration, else as UTF-8
 * (a Content-Type charset is not consulted: modelers' uploads rarely set it right). Throws
 * DefinitionError for an unknown encoding or bytes that are not valid in it.
 */
export function decodeXml(bytes: Uint8Array, where = ''): string {
  const { encoding, skip } = sniff(bytes);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  } catch {
    throw new DefinitionError(`Invalid BPMN${where}: encoding "${encoding}" is not supported`);
  }
  try {
    return decoder.decode(bytes.subarray(skip));
  } catch {
    throw new DefinitionError(`Invalid BPMN${where}: the document is not valid ${encoding}`);
  }
}

// Reading a process file from the process folder: its bytes decoded as XML says (xmlEncoding.ts)
// and its listener/mapping scripts given by resource (`<camunda:script scriptFormat="javascript"
// resource="notify.js"/>`) inlined from files beside it. Inlining at deploy makes every stored
// version self-contained: what a version runs can never change under it (editing notify.js deploys
// a new version, as editing the BPMN file does), and a restart or another node needs no script
// files. A REST upload has no folder: a resource script there is refused (listeners.ts).
import fs from 'node:fs';
import path from 'node:path';
import { DefinitionError } from './interfaces';
import { decodeXml } from './xmlEncoding';

// <prefix:script … resource="…" …/> or <prefix:script … resource="…">…</prefix:script>: only
// camunda:script carries a resource attribute (bpmn:script has none).
const SCRIPT_WITH_RESOURCE = /<((?:[A-Za-z_][\w.-]*:)?script)\b([^>]*?)\sresource\s*=\s*(?:"([^"]*)"|'([^']*)')([^>]*?)(\/)?>/g;

function cdata(text: string): string {
  return `<![CDATA[${text.split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

/** The file a script resource names, inside `dir`; `deployment://x.js` is read as `x.js`. */
function resourcePath(dir: string, resource: string, where: string): string {
  const name = resource.trim().replace(/^deployment:\/\//, '');
  if (/^[a-z][a-z0-9+.-]*:/i.test(name)) {
    throw new DefinitionError(`Cannot deploy${where}: script resource "${resource}" is not a file beside the process (classpath and URL resources are not supported)`);
  }
  const root = path.resolve(dir);
  const full = path.resolve(root, name);
  if (!name || path.isAbsolute(name) || !full.startsWith(root + path.sep)) {
    throw new DefinitionError(`Cannot deploy${where}: script resource "${resource}" must be a relative path inside the process folder`);
  }
  return full;
}

/**
 * Replaces every script `resource` in `xml` by the file's text (UTF-8), read relative to `dir`.
 * Throws DefinitionError naming the resource when it is outside the folder or given together with an
 * inline body; a missing file is left as a resource, which deploy refuses naming its element.
 */
export function inlineScriptResources(xml: string, dir: string, where = ''): string {
  let out = '';
  let last = 0;
  for (const m of xml.matchAll(SCRIPT_WITH_RESOURCE)) {
    const [open, tag, before, dq, sq, after, selfClosing] = m;
    const resource = dq ?? sq ?? '';
    let end = m.index + open.length;
    if (!selfClosing) {
      const close = xml.indexOf(`</${tag}>`, end);
      if (close < 0) continue; // not well-formed: the parser reports it
      if (xml.slice(end, close).trim()) throw new DefinitionError(`Cannot deploy${where}: a script has both resource="${resource}" and an inline body`);
      end = close + tag.length + 3;
    }
    const file = resourcePath(dir, resource, where);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // Left as written: the element checks refuse it naming the element that references it (a
      // groovy listener as groovy, a JavaScript one as a missing resource: listeners.ts).
      continue;
    }
    out += xml.slice(last, m.index) + `<${tag}${before}${after}>${cdata(text)}</${tag}>`;
    last = end;
  }
  return last ? out + xml.slice(last) : xml;
}

/** A process file as deployed: decoded by its encoding, script resources inlined from its folder. */
export function readProcessFile(file: string): string {
  const where = ` ${path.basename(file)}`;
  return inlineScriptResources(decodeXml(fs.readFileSync(file), where), path.dirname(file), where);
}

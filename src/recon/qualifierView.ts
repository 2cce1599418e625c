// performAction's `linkQualifier` (OpenIDM ObjectMapping.performAction: params.linkQualifier,
// "default" when absent): the mapping as seen under that qualifier, for the REST route and the
// script API alike.
import { InvalidInput } from '../errors';
import { CompiledMapping } from './interfaces';

/** `q` must be one of the mapping's qualifiers: IDM would sync an unknown one as if it had no links. */
export function qualifierView(mapping: CompiledMapping, q: string): CompiledMapping {
  const listed = mapping.qualifiersOf(null);
  // Without linkQualifiers, reconflow's own linkQualifier key (what scripts see, e.g. in recon.actionParam) names the one view too.
  if (!listed && q === mapping.linkQualifier) return mapping;
  const all = listed ?? [mapping.qualifier];
  if (!all.includes(q)) throw new InvalidInput(`linkQualifier "${q.slice(0, 100)}" is not one of mapping ${mapping.name}'s link qualifiers (${all.join(', ')})`);
  return q === mapping.qualifier ? mapping : mapping.forQualifier(q);
}

// IDM's named queries on managed/user, shared by the REST routes (src/api/managed.ts) and the script
// API (src/scriptApi/openidmFacade.ts).
import { InvalidInput } from '../errors';
import type { QueryIds } from '../crest/query';
import { parseJsonPointer } from '../crest/queryFilter';

/**
 * IDM's named queries on managed objects (repo.jdbc.json of OpenIDM's openidm-zip: `for-userName`
 * with `uid`, `get-by-field-value` with `field` and `value`; both compare the stored value as a string).
 */
export const MANAGED_QUERY_IDS: QueryIds = {
  'for-userName': (p) => {
    if (p.uid === undefined) throw new InvalidInput('for-userName needs the uid parameter');
    return { type: 'compare', op: 'eq', field: ['userName'], value: p.uid };
  },
  'get-by-field-value': (p) => {
    if (p.field === undefined || p.value === undefined) throw new InvalidInput('get-by-field-value needs the field and value parameters');
    return { type: 'compare', op: 'eq', field: parseJsonPointer(p.field), value: p.value };
  },
};

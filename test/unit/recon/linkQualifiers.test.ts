// sync.json linkQualifiers (OpenIDM ObjectMapping.getLinkQualifiers): what validateSyncConfig
// accepts and refuses, and what the compiled mapping's qualifier views bind.
import { MappingConfig, SourceObject } from '../../../src/recon/interfaces';
import { compileMapping, validateSyncConfig } from '../../../src/recon/mapping';
import { qualifierView } from '../../../src/recon/qualifierView';

const mapping = (extra: Record<string, unknown>) => ({
  name: 'm', source: 'system/csvfile/account', target: 'managed/user',
  correlation: { targetField: 'userName', sourceField: 'name' },
  properties: [{ source: 'name', target: 'userName', transform: { type: 'text/javascript', source: "source + '-' + linkQualifier" } }],
  ...extra,
});
const validate = (extra: Record<string, unknown>): MappingConfig => validateSyncConfig({ mappings: [mapping(extra)] })[0];
const src = (extra: Record<string, unknown> = {}): SourceObject => ({ _id: 'u1', name: 'u1', ...extra });
const workflow = { situation: 'ABSENT', action: { workflowName: 'managedUserApproval', type: 'text/javascript', file: 'workflow/triggerWorkflowFromSync.js' } };

describe('ObjectMapping linkQualifiers: validation', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an empty list', { linkQualifiers: [] }, /mappings\[0\]\.linkQualifiers must name at least one qualifier/],
    ['a name that is not a string', { linkQualifiers: ['a', 3] }, /mappings\[0\]\.linkQualifiers\[1\] must be a non-empty string/],
    ['an empty name', { linkQualifiers: [''] }, /mappings\[0\]\.linkQualifiers\[0\] must be a non-empty string/],
    ['a string', { linkQualifiers: 'a' }, /mappings\[0\]\.linkQualifiers must be an array of names or a script/],
    ['a script in another language', { linkQualifiers: { type: 'text/python', source: "['a']" } }, /mappings\[0\]\.linkQualifiers\.type must be "text\/javascript" or "groovy"/],
    ['both linkQualifier and linkQualifiers', { linkQualifier: 'x', linkQualifiers: ['a'] }, /linkQualifier and linkQualifiers cannot both be configured/],
  ])('refuses %s, naming the key', (_what, extra, message) => {
    expect(() => validateSyncConfig({ mappings: [mapping(extra)] })).toThrow(message);
  });

  it('accepts a list (repeats collapse, as IDM reads it as a set), a script, and a workflow policy with any qualifiers (approvals are per qualifier)', () => {
    expect(validate({ linkQualifiers: ['a', 'b'], policies: [workflow] }).policies[0].action).toMatchObject({ workflowName: 'managedUserApproval' });
    expect(validate({ linkQualifiers: { type: 'text/javascript', source: "['a']" }, policies: [workflow] }).policies[0].action).toMatchObject({ workflowName: 'managedUserApproval' });
    expect(validate({ linkQualifiers: ['a', 'b', 'a'] }).linkQualifiers).toEqual(['a', 'b']);
    expect(validate({ linkQualifiers: { type: 'text/javascript', source: "['a']" } }).linkQualifiers).toMatchObject({ type: 'text/javascript' });
    expect(validate({ linkQualifiers: ['default'], policies: [workflow] }).policies[0].action).toMatchObject({ workflowName: 'managedUserApproval' });
  });
});

describe('ObjectMapping linkQualifiers: the compiled views', () => {
  it('without linkQualifiers: one view, qualifier "default", the linkQualifier key only what scripts see', () => {
    const m = compileMapping(validate({ linkQualifier: 'x' }));
    expect(m.qualifiersOf(src())).toBeNull();
    expect(m.qualifier).toBe('default');
    expect(m.map(src()).userName).toBe('u1-x');
  });

  it('a list: each view binds its qualifier in scripts and carries it for links and audit', () => {
    const m = compileMapping(validate({ linkQualifiers: ['staff', 'contractor'] }));
    expect(m.qualifiersOf(src())).toEqual(['staff', 'contractor']);
    expect(m.qualifiersOf(null)).toEqual(['staff', 'contractor']);
    expect(m.qualifier).toBe('staff');
    const c = m.forQualifier('contractor');
    expect(c.qualifier).toBe('contractor');
    expect(c.map(src()).userName).toBe('u1-contractor');
    expect(m.forQualifier('contractor')).toBe(c);
  });

  it('validSource is assessed per qualifier (each view has its own cache)', () => {
    const m = compileMapping(validate({ linkQualifiers: ['a', 'b'], validSource: { type: 'text/javascript', source: "linkQualifier === 'a'" } }));
    const s = src();
    expect(m.forQualifier('a').isValidSource(s)).toBe(true);
    expect(m.forQualifier('b').isValidSource(s)).toBe(false);
  });

  it('a script: bindings object and returnAll (null object in the target phase); a wrong answer throws naming the key', () => {
    const m = compileMapping(validate({ linkQualifiers: { type: 'text/javascript', source: "returnAll ? ['a', 'b'] : object.kind === 'odd' ? 'a' : [object.kind]" } }));
    expect(m.qualifiersOf(null)).toEqual(['a', 'b']);
    expect(m.qualifiersOf(src({ kind: 'b' }))).toEqual(['b']);
    expect(() => m.qualifiersOf(src({ kind: 'odd' }))).toThrow(/mapping m: the linkQualifiers script must return an array of non-empty strings, got "a"/);
  });
});

describe('ObjectMapping.performAction linkQualifier (qualifierView)', () => {
  it('picks the qualifier\'s view; "default" and reconflow\'s own linkQualifier name the one view of a mapping without linkQualifiers', () => {
    const one = compileMapping(validate({ linkQualifier: 'x' }));
    expect(qualifierView(one, 'default')).toBe(one);
    expect(qualifierView(one, 'x')).toBe(one);
    expect(() => qualifierView(one, 'y')).toThrow('linkQualifier "y" is not one of mapping m\'s link qualifiers (default)');
    const two = compileMapping(validate({ linkQualifiers: ['a', 'b'] }));
    expect(qualifierView(two, 'b').qualifier).toBe('b');
    expect(() => qualifierView(two, 'default')).toThrow(/is not one of mapping m's link qualifiers \(a, b\)/);
  });
});

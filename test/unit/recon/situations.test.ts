import { assessSourceSituation, assessTargetSituation } from '../../../src/recon/situations';
import { Situation } from '../../../src/recon/interfaces';

const free = (id: string) => ({ _id: id, linkedToOtherSource: false });
const taken = (id: string) => ({ _id: id, linkedToOtherSource: true });

describe('assessSourceSituation', () => {
  it.each<[string, Parameters<typeof assessSourceSituation>[0], Situation]>([
    ['valid, linked, target exists', { validSource: true, link: { targetId: 't' }, linkedTargetExists: true, correlated: [] }, 'CONFIRMED'],
    ['valid, linked, target gone', { validSource: true, link: { targetId: 't' }, linkedTargetExists: false, correlated: [] }, 'MISSING'],
    ['valid, linked: correlation is not consulted', { validSource: true, link: { targetId: 't' }, linkedTargetExists: true, correlated: [free('a'), free('b')] }, 'CONFIRMED'],
    ['valid, no link, nothing correlated', { validSource: true, linkedTargetExists: false, correlated: [] }, 'ABSENT'],
    ['valid, no link, one free target', { validSource: true, linkedTargetExists: false, correlated: [free('a')] }, 'FOUND'],
    ['valid, no link, one target linked elsewhere', { validSource: true, linkedTargetExists: false, correlated: [taken('a')] }, 'FOUND_ALREADY_LINKED'],
    ['valid, no link, several targets', { validSource: true, linkedTargetExists: false, correlated: [free('a'), taken('b')] }, 'AMBIGUOUS'],
    ['invalid, linked target exists', { validSource: false, link: { targetId: 't' }, linkedTargetExists: true, correlated: [] }, 'UNQUALIFIED'],
    ['invalid, linked target gone (the link remains)', { validSource: false, link: { targetId: 't' }, linkedTargetExists: false, correlated: [] }, 'UNQUALIFIED'],
    ['invalid, no link, correlated target', { validSource: false, linkedTargetExists: false, correlated: [free('a')] }, 'UNQUALIFIED'],
    ['invalid, no link, several correlated', { validSource: false, linkedTargetExists: false, correlated: [free('a'), free('b')] }, 'UNQUALIFIED'],
    ['invalid, nothing', { validSource: false, linkedTargetExists: false, correlated: [] }, 'SOURCE_IGNORED'],
  ])('%s → %s', (_label, input, expected) => {
    expect(assessSourceSituation(input)).toBe(expected);
  });
});

describe('assessTargetSituation', () => {
  it.each<[string, Parameters<typeof assessTargetSituation>[0], Situation]>([
    ['invalid target', { validTarget: false, hasLink: true, linkedSourceExists: false }, 'TARGET_IGNORED'],
    ['invalid target without link', { validTarget: false, hasLink: false, linkedSourceExists: false }, 'TARGET_IGNORED'],
    ['link, source gone', { validTarget: true, hasLink: true, linkedSourceExists: false }, 'SOURCE_MISSING'],
    ['no link', { validTarget: true, hasLink: false, linkedSourceExists: false }, 'UNASSIGNED'],
    ['link, source exists', { validTarget: true, hasLink: true, linkedSourceExists: true }, 'CONFIRMED'],
  ])('%s → %s', (_label, input, expected) => {
    expect(assessTargetSituation(input)).toBe(expected);
  });
});

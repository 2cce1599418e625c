import { camundaPlatformCases, camundaPlatformMoreCases } from './camundaPlatform';
import { activitiCases, bpmnEngineCases, camundaExamplesCases, flowableCases, flowableMoreCases, miwgCases } from './others';
import type { ConformanceCase } from './types';

export const CASES: ConformanceCase[] = [
  ...camundaPlatformCases,
  ...camundaPlatformMoreCases,
  ...camundaExamplesCases,
  ...flowableCases,
  ...flowableMoreCases,
  ...activitiCases,
  ...bpmnEngineCases,
  ...miwgCases,
];

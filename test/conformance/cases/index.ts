import { camundaPlatformCases } from './camundaPlatform';
import { activitiCases, bpmnEngineCases, camundaExamplesCases, flowableCases, miwgCases } from './others';
import type { ConformanceCase } from './types';

export const CASES: ConformanceCase[] = [
  ...camundaPlatformCases,
  ...camundaExamplesCases,
  ...flowableCases,
  ...activitiCases,
  ...bpmnEngineCases,
  ...miwgCases,
];

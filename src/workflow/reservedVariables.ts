// Variable names the engine owns: bpmn-elements copies its run message (fields, content, properties)
// into the process variables, so a variable of that name would be overwritten or dropped depending
// on the path the run takes. Both paths (the engine and the start template / completion plan)
// refuse such a name up front, naming it, instead of losing it silently (issue 15).
import { DefinitionError, type FormPropertyDef, type TaskDefinition } from './interfaces';
import { FormValidationError } from './taskDefinitions';

export const RESERVED_VARIABLES: ReadonlySet<string> = new Set(['fields', 'content', 'properties']);

/** Throws FORM_VALIDATION (a 400 naming the key) when a variable name is reserved. */
export function refuseReservedVariables(variables: Record<string, unknown> | undefined, when: 'start' | 'completion'): void {
  for (const key of Object.keys(variables ?? {})) {
    if (RESERVED_VARIABLES.has(key)) {
      throw new FormValidationError(
        `'${key}' is a reserved variable name (the engine's own ${[...RESERVED_VARIABLES].join(', ')}): a ${when} cannot set it; use another name`,
        key,
      );
    }
  }
}

/** A form field whose variable is reserved: every completion of its task would be refused, so deploy refuses it. */
export function reservedFormField(tasks: TaskDefinition[], startForm: FormPropertyDef[], where: string): DefinitionError | undefined {
  for (const [owner, form] of [['the start event', startForm] as const, ...tasks.map((t) => [`userTask "${t.id}"`, t.formProperties] as const)]) {
    for (const p of form) {
      const variable = p.variableName ?? p.id;
      if (!RESERVED_VARIABLES.has(variable)) continue;
      const elementId = owner === 'the start event' ? undefined : owner.slice('userTask "'.length, -1);
      return new DefinitionError(`Cannot deploy${where}: form field "${p.id}" of ${owner} sets the variable "${variable}", a reserved name (the engine's own ${[...RESERVED_VARIABLES].join(', ')}); rename it`, elementId);
    }
  }
  return undefined;
}

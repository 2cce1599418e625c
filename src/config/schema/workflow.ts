// conf/workflow.json: reconflow's keys and those of IDM's workflow.json
// (IDM: useDataSource, workflowDirectory, location, history, engine, mail).
import { Schema } from './framework';

export const workflowSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    processesDir: { type: 'string' },
    watch: { type: 'boolean' },
    escalationDuration: { type: 'string' },
    templates: { type: 'boolean' },
    // IDM's: where the process files are (read with the project layout, src/config/project*).
    workflowDirectory: { type: 'string' },
    // Checked, and warned about, by validateWorkflow (src/config/conf.ts) with IDM's defaults in mind.
    useDataSource: { type: 'string' },
    userResource: {},
    groupResource: {},
    location: { const: 'embedded', 'x-note': 'the engine always runs inside reconflow' },
    history: { 'x-noEffect': 'reconflow records activity history for every instance' },
    engine: { 'x-refuse': 'a remote workflow engine is not supported: remove engine (reconflow runs BPMN itself)' },
    mail: { 'x-refuse': 'BPMN mail tasks are not implemented by reconflow: remove mail' },
  },
};

// OpenAPI 3.1 fragment for GET /openidm/metrics/prometheus (src/api/metrics.ts), merged into the
// whole description by the OpenAPI document's builder. Plain objects: no imports.

export const paths = {
  '/metrics/prometheus': {
    get: {
      operationId: 'readPrometheusMetrics',
      tags: ['metrics'],
      summary: 'Prometheus metrics of this server',
      description:
        'Prometheus text exposition format 0.0.4 (prom-client). Readable by openidm-admin and by accounts with the ' +
        'openidm-prometheus role (which reach this endpoint only). Counters and histograms are this server process\'s; ' +
        'gauges read from the repository (tasks, jobs, incidents, active instances) are the whole cluster\'s. ' +
        'docs/operations.md ("Metrics") lists every metric, its type and labels.',
      responses: {
        '200': {
          description: 'The metrics, in Prometheus text format',
          headers: {
            'Cache-Control': { schema: { type: 'string', const: 'no-store' } },
          },
          content: {
            'text/plain': {
              schema: { $ref: '#/components/schemas/PrometheusText' },
            },
          },
        },
        '401': { description: 'No credentials, or wrong ones', content: { 'application/json': { schema: { $ref: '#/components/schemas/CrestError' } } } },
        '403': { description: 'Signed in, but neither openidm-admin nor openidm-prometheus', content: { 'application/json': { schema: { $ref: '#/components/schemas/CrestError' } } } },
        '404': { description: 'Metrics are disabled (conf/metrics.json "enabled": false); the message says so', content: { 'application/json': { schema: { $ref: '#/components/schemas/CrestError' } } } },
        '429': { description: 'Too many failed sign-ins for this user or address', content: { 'application/json': { schema: { $ref: '#/components/schemas/CrestError' } } } },
      },
    },
  },
};

export const schemas = {
  PrometheusText: {
    type: 'string',
    description: 'Lines of "# HELP name text", "# TYPE name counter|gauge|histogram" and "name{label=\\"value\\",…} number"',
    examples: ['# HELP reconflow_tasks_open Open user tasks (all nodes), by process definition key and version and task definition key\n# TYPE reconflow_tasks_open gauge\nreconflow_tasks_open{process_definition_key="managedUserApproval",process_definition_version="1",task_definition_key="evaluateRequest"} 2\n'],
  },
};

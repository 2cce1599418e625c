// The waiting templates of definition versions (src/workflow/template.ts), one row per definition
// version and template fingerprint, written once when a template is first used to start an
// instance. A template-started instance stores only a reference to its row: the row keeps the exact
// engine state the engine of that day produced, so the reference expands to it after any engine
// upgrade, and bpmn-engine's own recover compatibility applies (issue 15, stored state).
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('workflow_template', (t) => {
    t.string('definition_id', 255).notNullable();
    /** sha256 (16 hex) of the template's content: the key a stored reference names. */
    t.string('fingerprint', 64).notNullable();
    /** The template as JSON (template.ts TemplateRecord): never rewritten. */
    t.text('body').notNullable();
    t.string('created_at', 32).notNullable();
    t.primary(['definition_id', 'fingerprint']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('workflow_template');
}

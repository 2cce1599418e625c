// Finished (and open) user tasks, for workflow/taskinstance/history as OpenIDM's
// TaskInstanceHistoryResource answers it (issue 16, Deliver 5): one row per task, written when the
// task row is created, closed (end_time, delete_reason) when it is completed or removed.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('task_history', (t) => {
    /** The task's id (task.id). */
    t.integer('id').primary();
    t.integer('process_instance_id').notNullable();
    t.string('definition_id', 255).notNullable();
    t.string('definition_key', 255);
    t.string('task_definition_key', 255).notNullable();
    t.string('execution_id', 255).notNullable();
    t.text('name');
    t.text('description');
    t.string('assignee', 255);
    t.string('owner', 255);
    t.integer('priority').notNullable().defaultTo(50);
    t.string('due_date', 32);
    t.string('create_time', 32).notNullable();
    t.string('end_time', 32);
    /** Activiti's deleteReason: "completed" for a completed task, "deleted" for one removed with its instance. */
    t.string('delete_reason', 32);
    t.index(['process_instance_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('task_history');
}

// Issue 17 (Web UI): the approver's comment stored with the decision; earlier decisions of a source
// row read newest first without scanning every request of the row; and bulk completion by query as
// a durable operation (bulk_operation), whose task ids are snapshotted at the request
// (bulk_operation_task) so that later tasks are never swept in and each is done exactly once.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('decision', (t) => {
    t.text('comment');
  });
  // approval.earlier: the newest decided requests of (mapping, source row, qualifier) before an instance.
  await knex.raw('CREATE INDEX approval_request_earlier ON approval_request (mapping, source_id, link_qualifier, process_instance_id)');
  await knex.schema.createTable('bulk_operation', (t) => {
    t.bigIncrements('id').primary();
    t.string('kind', 32).notNullable(); // complete
    t.string('started_by', 255).notNullable();
    // The caller's principal (JSON): each task is completed as that caller, checked again at its turn.
    t.text('principal').notNullable();
    // The completion values (JSON; _comment included), the same for every task.
    t.text('body').notNullable();
    t.string('state', 16).notNullable(); // ACTIVE | SUCCESS | CANCELED | FAILED
    t.integer('total').notNullable();
    t.integer('processed').notNullable().defaultTo(0);
    t.integer('succeeded').notNullable().defaultTo(0);
    t.integer('failed').notNullable().defaultTo(0);
    t.text('error');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.string('ended_at', 32);
  });
  await knex.schema.createTable('bulk_operation_task', (t) => {
    t.bigInteger('bulk_id').notNullable();
    t.bigInteger('task_id').notNullable();
    t.string('status', 16); // null: not yet; succeeded | failed
    t.text('message');
    t.primary(['bulk_id', 'task_id']);
  });
  // The next batch (status null) and the failures listed, in task order.
  await knex.raw('CREATE INDEX bulk_operation_task_status ON bulk_operation_task (bulk_id, status, task_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('bulk_operation_task');
  await knex.schema.dropTableIfExists('bulk_operation');
  await knex.raw(`DROP INDEX IF EXISTS approval_request_earlier${(knex.client as { dialect: string }).dialect === 'mysql' ? ' ON approval_request' : ''}`);
  await knex.schema.alterTable('decision', (t) => {
    t.dropColumn('comment');
  });
}

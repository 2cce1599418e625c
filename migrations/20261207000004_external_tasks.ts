// External service tasks (camunda:type="external"): one row per waiting execution, written with
// the run that reached it and removed with the run that moves it on. A worker locks it over REST
// (worker_id, lock_expiration by the database's clock); retries 0 is an incident.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('external_task', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('process_instance_id').notNullable();
    t.string('definition_id', 255).notNullable();
    t.string('definition_key', 255).notNullable();
    t.string('business_key', 1024);
    t.string('activity_id', 255).notNullable();
    t.string('execution_id', 255).notNullable();
    t.string('topic_name', 255).notNullable();
    t.bigInteger('priority').notNullable().defaultTo(0);
    t.string('worker_id', 255);
    // epoch ms by the database's clock; also the end of a failure's retryTimeout
    t.bigInteger('lock_expiration');
    t.integer('retries'); // null until a worker reports a failure
    t.text('error_message');
    t.text('error_details');
    t.string('create_time', 32).notNullable();
    t.string('failed_at', 32);
    // bumped by every lock, unlock and failure: a completion checks the lock it read is still held
    t.integer('rev').notNullable().defaultTo(1);
    t.unique(['process_instance_id', 'execution_id']);
  });
  await knex.raw('CREATE INDEX external_task_fetch ON external_task (topic_name, lock_expiration)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('external_task');
}

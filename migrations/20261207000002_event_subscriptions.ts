// Event subscriptions: what each waiting instance waits for besides user tasks and timers (a
// trigger, a message or a signal by name; RunResult.waits, mirrored with every stored run), and
// the message and signal start events of each deployed definition version. Correlating a message
// or broadcasting a signal is then a query on (kind, name), never a scan of stored states.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_subscription', (t) => {
    t.bigIncrements('id').primary();
    // 'i:<instance>:<execution>' for a waiting execution, 'd:<definition>:<activity>' for a start
    // event: a resumed engine re-announcing a wait, or two nodes deploying at once, insert once.
    t.string('sub_key', 600).notNullable().unique();
    t.bigInteger('process_instance_id').index(); // null: a start event of the definition version
    t.string('definition_id', 255).notNullable().index();
    t.string('definition_key', 255).notNullable();
    t.string('execution_id', 255);
    t.string('activity_id', 255).notNullable();
    t.string('kind', 16).notNullable(); // trigger | message | signal (and any other RunResult.waits kind)
    t.string('name', 255);
    t.string('created', 32).notNullable();
  });
  await knex.raw('CREATE INDEX event_subscription_name ON event_subscription (kind, name)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('event_subscription');
}

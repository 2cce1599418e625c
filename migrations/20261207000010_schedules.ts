// Schedules (IDM's scheduler, conf/schedule-*.json and /openidm/scheduler/job): one row per
// schedule with its due time, and one row per due time that a node claimed. A due time fires once
// across all nodes: the claim is an UPDATE of next_fire_time from the value the node read (one
// node's UPDATE matches), and the fire's row is unique per (schedule_id, fire_time).
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('schedule', (t) => {
    t.string('id', 255).primary();
    // the schedule as stored and answered over REST (IDM's keys), JSON
    t.text('config').notNullable();
    // 'rest', or the conf file that defines it (conf/schedule-<id>.json is the source of truth)
    t.string('source', 255).notNullable();
    t.integer('rev').notNullable().defaultTo(1);
    // epoch ms; null: no fire left (disabled, past endTime, repeatCount reached)
    t.bigInteger('next_fire_time');
    // a simple trigger's first fire (its startTime, else when it was stored), epoch ms
    t.bigInteger('anchor_time').notNullable();
    t.boolean('paused').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.raw('CREATE INDEX schedule_due ON schedule (next_fire_time)');
  await knex.schema.createTable('schedule_fire', (t) => {
    t.bigIncrements('id').primary();
    t.string('schedule_id', 255).notNullable();
    // the due time claimed (for a misfire: the first one missed)
    t.bigInteger('fire_time').notNullable();
    // a misfire: the last due time it stands for and how many it covers (1 for an on-time fire)
    t.bigInteger('last_fire_time').notNullable();
    t.integer('covers').notNullable().defaultTo(1);
    // 'scheduled' (on time), 'misfire' (fireAndProceed's catch-up), 'missed' (doNothing: not run)
    t.string('kind', 16).notNullable();
    // claimed → running → succeeded | failed | skipped; started (a recon now runs); missed
    t.string('status', 16).notNullable();
    t.string('node', 255).notNullable();
    t.bigInteger('claimed_at').notNullable();
    t.bigInteger('ended_at');
    t.string('recon_id', 64);
    t.text('message');
    t.text('result');
    t.unique(['schedule_id', 'fire_time']);
  });
  await knex.raw('CREATE INDEX schedule_fire_recent ON schedule_fire (schedule_id, claimed_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('schedule_fire');
  await knex.schema.dropTableIfExists('schedule');
}

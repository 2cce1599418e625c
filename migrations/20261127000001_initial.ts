// The whole repository: managed and internal identities, links, reconciliation runs and audit,
// process definitions, instances and open tasks, approval decisions, and the job queue.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('managed_user', (t) => {
    t.string('id', 255).primary();
    t.string('rev', 32).notNullable();
    // Queried fields get real, indexed columns; everything else lives in obj.
    t.string('user_name', 255).unique();
    t.string('given_name', 255).index();
    t.string('sn', 255).index();
    t.string('mail', 255).index();
    t.string('account_status', 64).index();
    t.jsonb('obj').notNullable();
    t.text('password_hash');
  });

  await knex.schema.createTable('internal_role', (t) => {
    t.string('id', 255).primary();
    t.string('rev', 32).notNullable();
    t.text('description');
  });

  await knex.schema.createTable('internal_user', (t) => {
    t.string('id', 255).primary();
    t.string('rev', 32).notNullable();
    t.text('password_hash').notNullable();
    t.text('authz_roles').notNullable(); // JSON array of {_ref}
  });

  await knex.schema.createTable('link', (t) => {
    t.increments('id').primary();
    t.string('link_type', 255).notNullable();
    t.string('link_qualifier', 255).notNullable().defaultTo('default');
    t.string('first_id', 255).notNullable();
    t.string('second_id', 255).notNullable();
    t.unique(['link_type', 'link_qualifier', 'first_id']);
    t.unique(['link_type', 'link_qualifier', 'second_id']);
  });

  await knex.schema.createTable('recon_run', (t) => {
    t.string('id', 64).primary();
    t.string('mapping', 255).notNullable().index();
    t.string('state', 16).notNullable();
    t.string('stage', 64).notNullable();
    t.string('node', 255);
    t.text('parameters');
    t.text('progress');
    t.text('situation_summary');
    t.text('status_summary');
    t.text('message');
    t.string('started', 32).notNullable();
    t.string('ended', 32);
    t.bigInteger('heartbeat');
  });
  // At most one ACTIVE run per mapping, across every node.
  if ((knex.client as { dialect: string }).dialect === 'mysql') {
    // MariaDB/MySQL have no partial index: a unique index on a generated column that holds the
    // mapping while ACTIVE and NULL otherwise (NULLs never collide); invisible to SELECT *.
    await knex.raw("ALTER TABLE recon_run ADD COLUMN active_mapping VARCHAR(255) AS (CASE WHEN state = 'ACTIVE' THEN mapping END) STORED INVISIBLE, ADD UNIQUE INDEX recon_run_one_active (active_mapping)");
  } else {
    await knex.raw("CREATE UNIQUE INDEX recon_run_one_active ON recon_run (mapping) WHERE state = 'ACTIVE'");
  }

  await knex.schema.createTable('recon_audit', (t) => {
    t.increments('id').primary();
    t.string('recon_id', 64).notNullable().index();
    t.string('mapping', 255).notNullable();
    t.string('source_object_id', 255);
    t.string('target_object_id', 255);
    t.string('situation', 32);
    t.string('action', 32);
    t.string('status', 16).notNullable();
    t.text('message');
    t.string('link_qualifier', 255);
    t.string('timestamp', 32).notNullable();
  });

  await knex.schema.createTable('process_definition', (t) => {
    t.string('id', 255).primary();
    t.string('key', 255).notNullable();
    t.integer('version').notNullable();
    t.integer('seq').notNullable().unique();
    t.string('name', 255);
    t.string('category', 255);
    t.string('resource_name', 255);
    t.string('hash', 64).notNullable();
    t.text('xml').notNullable();
    t.string('deployed_at', 32).notNullable();
    t.unique(['key', 'version']);
  });

  await knex.schema.createTable('process_instance', (t) => {
    t.bigIncrements('id').primary();
    t.string('definition_id', 255).notNullable().index();
    t.string('definition_key', 255).notNullable();
    t.string('business_key', 1024);
    t.string('status', 16).notNullable(); // active | ended | failed | canceled
    t.binary('state'); // compact engine state, absent once ended
    t.jsonb('variables').notNullable();
    t.string('start_time', 32).notNullable();
    t.string('start_user_id', 255);
    t.string('start_activity_id', 255);
    t.string('end_time', 32);
    t.string('end_activity_id', 255);
    t.text('error');
    t.bigInteger('wake_at').index(); // earliest due timer, epoch ms
    // Set while active: one open approval per (definition key, mapping, sourceId).
    t.string('open_key', 1024).unique();
    t.integer('version').notNullable().defaultTo(1);
  });
  await knex.raw("CREATE INDEX process_instance_status ON process_instance (status, definition_key)");

  await knex.schema.createTable('task', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('process_instance_id').notNullable().index();
    t.string('definition_id', 255).notNullable();
    t.string('task_definition_key', 255).notNullable();
    t.string('execution_id', 255).notNullable();
    t.string('name', 255);
    t.text('description');
    t.string('assignee', 255).index();
    t.string('owner', 255);
    t.text('candidate_users').notNullable();
    t.text('candidate_groups').notNullable();
    t.text('form').notNullable();
    t.string('form_key', 255);
    t.string('create_time', 32).notNullable();
    t.string('due_date', 32);
    t.integer('priority').notNullable().defaultTo(50);
    t.integer('rev').notNullable().defaultTo(1);
    t.unique(['process_instance_id', 'execution_id']);
  });

  await knex.schema.createTable('decision', (t) => {
    t.increments('id').primary();
    t.bigInteger('process_instance_id').notNullable().unique();
    t.bigInteger('task_id');
    t.string('mapping', 255);
    t.string('source_id', 255);
    t.string('source_hash', 64);
    t.string('recon_id', 64);
    t.string('decision', 16).notNullable(); // approved | rejected
    t.string('decided_by', 255);
    t.string('decided_at', 32).notNullable();
  });
  await knex.raw('CREATE INDEX decision_source ON decision (mapping, source_id)');

  await knex.schema.createTable('job', (t) => {
    t.bigIncrements('id').primary();
    t.string('key', 512).notNullable().unique();
    t.string('type', 255).notNullable();
    t.text('payload').notNullable();
    t.string('state', 16).notNullable(); // queued | running | done | dead
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable().defaultTo(8);
    t.bigInteger('run_at').notNullable();
    t.string('locked_by', 255);
    t.bigInteger('locked_until');
    t.text('last_error');
    t.text('result');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
  });
  await knex.raw('CREATE INDEX job_ready ON job (state, run_at)');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['job', 'decision', 'task', 'process_instance', 'process_definition', 'recon_audit', 'recon_run', 'link', 'internal_user', 'internal_role', 'managed_user']) {
    await knex.schema.dropTableIfExists(table);
  }
}

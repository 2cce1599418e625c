// What the process folder last held for each of its files (issue 15, deliverable 7): a file is
// deployed at start (or by the watch) only when its content changed since the folder last read it,
// so a restart never supersedes a version deployed over REST. See docs/modeling.md, Versions.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('process_folder_file', (t) => {
    /** The file's name in the process folder: the resource name of the versions it deploys. */
    t.string('resource_name', 255).primary();
    /** sha256 of the content the folder last held. */
    t.string('hash', 64).notNullable();
    /** The version that content was deployed as, or matched (no foreign key: versions may be deleted). */
    t.string('definition_id', 255).notNullable();
    t.string('read_at', 32).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('process_folder_file');
}

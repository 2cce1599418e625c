// A call activity's child instance names its caller: the calling instance and the waiting call
// activity execution (as Activiti's/Camunda's SUPER_PROCESS_INSTANCE_ID_ / SUPER_EXEC_). One child
// per waiting execution, enforced here; the index answers "the children of this instance".
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('process_instance', (t) => {
    t.bigInteger('super_instance_id');
    t.string('super_execution_id', 255);
    t.unique(['super_instance_id', 'super_execution_id'], { indexName: 'process_instance_super' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('process_instance', (t) => {
    t.dropUnique(['super_instance_id', 'super_execution_id'], 'process_instance_super');
    t.dropColumn('super_execution_id');
    t.dropColumn('super_instance_id');
  });
}

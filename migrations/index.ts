// Migrations are listed here rather than discovered on disk, so that the same list works
// from TypeScript under jest and from the compiled dist/ under `npm start`.
import { Knex } from 'knex';
import * as initial from './20261127000001_initial';
import * as linkLookupIndexes from './20261127000002_link_lookup_indexes';
import * as linkSyncMarks from './20261127000003_link_sync_marks';
import * as instanceDueIndex from './20261127000004_instance_due_index';
import * as authSessions from './20261201000001_auth_sessions';
import * as approvalOutcomes from './20261201000002_approval_outcomes';
import * as reconSafety from './20261201000003_recon_safety';
import * as eventSubscriptions from './20261207000002_event_subscriptions';
import * as activityHistory from './20261207000007_activity_history';
import * as processFolderFile from './20261207000008_process_folder_file';
import * as callActivityLinks from './20261207000003_call_activity_links';
import * as externalTasks from './20261207000004_external_tasks';
import * as workflowTemplates from './20261207000006_workflow_templates';
import * as schedules from './20261207000010_schedules';
import * as crest from './20261207000012_crest';
import * as reconAuditAmbiguous from './20261207000014_recon_audit_ambiguous';
import * as config from './20261207000016_config';
import * as approvalActions from './20261207000018_approval_actions';
import * as approvalLinkQualifier from './20261207000020_approval_link_qualifier';
import * as decisionCommentBulk from './20261207000022_decision_comment_bulk';
import * as pagingIndexes from './20261207000024_paging_indexes';
import * as incidentIndex from './20261207000026_incident_index';
import * as jobClaimIndexes from './20261207000028_job_claim_indexes';
import * as clusteredRecon from './20261207000030_clustered_recon';

const migrations: Record<string, Knex.Migration> = {
  '20261127000001_initial': initial,
  '20261127000002_link_lookup_indexes': linkLookupIndexes,
  '20261127000003_link_sync_marks': linkSyncMarks,
  '20261127000004_instance_due_index': instanceDueIndex,
  '20261201000001_auth_sessions': authSessions,
  '20261201000002_approval_outcomes': approvalOutcomes,
  '20261201000003_recon_safety': reconSafety,
  '20261207000002_event_subscriptions': eventSubscriptions,
  '20261207000007_activity_history': activityHistory,
  '20261207000008_process_folder_file': processFolderFile,
  '20261207000003_call_activity_links': callActivityLinks,
  '20261207000004_external_tasks': externalTasks,
  '20261207000006_workflow_templates': workflowTemplates,
  '20261207000010_schedules': schedules,
  '20261207000012_crest': crest,
  '20261207000014_recon_audit_ambiguous': reconAuditAmbiguous,
  '20261207000016_config': config,
  '20261207000018_approval_actions': approvalActions,
  '20261207000020_approval_link_qualifier': approvalLinkQualifier,
  '20261207000022_decision_comment_bulk': decisionCommentBulk,
  '20261207000024_paging_indexes': pagingIndexes,
  '20261207000026_incident_index': incidentIndex,
  '20261207000028_job_claim_indexes': jobClaimIndexes,
  '20261207000030_clustered_recon': clusteredRecon,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};

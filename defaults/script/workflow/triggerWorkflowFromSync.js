// reconflow's built-in workflow/triggerWorkflowFromSync.js: a sync.json policy action that hands a
// row to a workflow instead of acting on it, with IDM's default script's behaviour (its name, its
// `workflowName` global, its `recon.actionParam` input, its "ASYNC" answer). Written for reconflow.
//
// reconflow recognizes this file when a policy names it and the project does not replace it, and
// then starts the approval itself in batches (src/recon/policyScript.ts): the same effect, without
// a script run per row. A project that puts its own workflow/triggerWorkflowFromSync.js in script/
// gets its file run instead, through IDM's script API (src/scriptApi/openidmFacade.ts).
(function () {
  var param = recon.actionParam;
  var rowKeys = ['mapping', 'situation', 'action', 'sourceId', 'targetId'];

  // A process a previous run started for this very row and situation is still waiting: nothing to add.
  var openQuery = { _queryId: 'filtered-query', processDefinitionKey: workflowName };
  rowKeys.forEach(function (k) {
    if (param[k] !== undefined && param[k] !== null) openQuery['_var-' + k] = param[k];
  });
  var open = openidm.query('workflow/processinstance', openQuery).result;
  if (open.length > 0) {
    logger.debug('{} for {} of mapping {}: instance {} is already open', workflowName, param.sourceId, param.mapping, open[0]._id);
    return 'ASYNC';
  }

  var start = { _key: workflowName };
  ['reconId', 'mapping', 'situation', 'action', 'sourceId', 'linkQualifier', 'targetId'].forEach(function (k) {
    if (param[k] !== undefined && param[k] !== null) start[k] = param[k];
  });
  var started = openidm.create('workflow/processinstance', null, start);
  logger.debug('{} started for {} of mapping {}: instance {}', workflowName, param.sourceId, param.mapping, started._id);
  return 'ASYNC';
})();

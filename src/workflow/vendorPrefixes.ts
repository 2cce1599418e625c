// BPMN vendor prefixes beyond camunda (nothing to do with repo/dialect's SQL backends): moddle
// descriptors for Activiti and Flowable extension elements (`activiti:formProperty`,
// `activiti:value`, `activiti:taskListener`/`executionListener` with `activiti:field`). Their task attributes (activiti:assignee, …) are NOT declared here: camunda's
// descriptor already defines `assignee` & co. on bpmn:UserTask and moddle refuses a second package
// defining the same property name. Undeclared attributes of a registered namespace land in the
// element's `$attrs` under the registered prefix (whatever prefix the file uses), which is where
// taskDefinitions.ts reads them.

export const VENDOR_PREFIXES = ['activiti', 'flowable'] as const;
export type VendorPrefix = (typeof VENDOR_PREFIXES)[number];

const stringAttrs = (...names: string[]) => names.map((name) => ({ name, isAttr: true, type: 'String' }));

function descriptor(name: string, prefix: VendorPrefix, uri: string) {
  return {
    name,
    prefix,
    uri,
    xml: { tagAlias: 'lowerCase' },
    associations: [],
    types: [
      {
        name: 'FormProperty',
        superClass: ['Element'],
        meta: { allowedIn: ['bpmn:StartEvent', 'bpmn:UserTask'] },
        properties: [
          ...stringAttrs('id', 'name', 'type', 'required', 'readable', 'writable', 'variable', 'expression', 'datePattern', 'default'),
          { name: 'values', type: 'Value', isMany: true },
        ],
      },
      { name: 'Value', superClass: ['Element'], properties: stringAttrs('id', 'name') },
      // Call activity variable mappings (callActivities.ts), as camunda:in / camunda:out.
      { name: 'In', superClass: ['Element'], meta: { allowedIn: ['bpmn:CallActivity'] }, properties: stringAttrs('source', 'sourceExpression', 'target', 'variables', 'businessKey', 'local') },
      { name: 'Out', superClass: ['Element'], meta: { allowedIn: ['bpmn:CallActivity'] }, properties: stringAttrs('source', 'sourceExpression', 'target', 'variables', 'local') },
      // Listeners as Activiti's and Flowable's designers write them (listeners.ts runs the script
      // ones and refuses the rest by name); without these moddle reports "unparsable content".
      ...['TaskListener', 'ExecutionListener'].map((name) => ({
        name,
        superClass: ['Element'],
        properties: [
          ...stringAttrs('event', 'class', 'expression', 'delegateExpression', 'type', 'id'),
          { name: 'fields', type: 'Field', isMany: true },
          // Flowable 6's type="script" listener: <flowable:script language="…" resultVariable="…">body</…>
          { name: 'script', type: 'Script' },
        ],
      })),
      { name: 'Script', superClass: ['Element'], properties: [...stringAttrs('language', 'resultVariable'), { name: 'value', type: 'String', isBody: true }] },
      {
        name: 'Field',
        superClass: ['Element'],
        properties: [
          ...stringAttrs('name', 'stringValue'),
          // <activiti:string>…</activiti:string> and <activiti:expression>…</activiti:expression> children
          { name: 'string', type: 'String' },
          { name: 'expression', type: 'String' },
        ],
      },
    ],
  };
}

export const vendorDescriptors = {
  activiti: descriptor('Activiti', 'activiti', 'http://activiti.org/bpmn'),
  flowable: descriptor('Flowable', 'flowable', 'http://flowable.org/bpmn'),
};

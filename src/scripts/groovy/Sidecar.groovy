// reconflow's Groovy sidecar: one long-lived JVM per server that runs BPMN script tasks, conditions and
// listeners written in Groovy (src/scripts/groovyHost.ts starts it through a relay thread).
//
// Protocol: one JSON object per line. In: {seq, kind, name, src, json, autoStore, conf?, props?}, or {seq, op:'compile', src}; `json` is the
// variables' JSON as the JavaScript sandbox gets it (src/workflow/executionBinding.ts), with the
// execution's meta under META; `conf` binds `logger`, `props` `identityServer` (sync.json scripts).
// Out: {ready:true} once, then {seq, ok:true, json, logs?} or {seq, ok:false, message, logs?}
// per request, where `json` is {v, r} exactly as the JavaScript sandbox answers: v the variables after
// the script, r the script's value (script tasks, conditions, mapping scripts) or {l, t} (listeners:
// the activity's locals and the task after the listener).
//
// A request runs on this thread; its time limit is kept by the host, which kills this JVM when it
// passes. While a script runs, a SecurityManager refuses processes, files outside the JVM's and
// Groovy's own, sockets, new threads and System.exit: honest mistakes and trivial escapes stay
// out. Like node:vm on the JavaScript side, this is not a security boundary against a hostile author.
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import java.security.Permission
import java.io.FilePermission
import java.net.SocketPermission
import org.codehaus.groovy.runtime.InvokerHelper
import groovy.transform.CompileStatic

final String META = '@@reconflow.execution'
final String LISTENER_META = '@@reconflow.listener'
final int MAX_SCRIPTS = 500

// Statically compiled: a dynamic call inside a permission check would itself be checked, for ever.
@CompileStatic
class Guard extends SecurityManager {
  static final ThreadLocal<Boolean> inScript = new ThreadLocal<Boolean>()
  static List<String> readable = []

  void checkPermission(Permission p) {
    if (!Boolean.TRUE.equals(inScript.get())) return
    if (p instanceof FilePermission) {
      String actions = p.getActions()
      if (actions == 'read') for (String prefix : readable) if (p.getName().startsWith(prefix)) return
      throw new SecurityException('scripts may not use files (' + p.getName() + ')')
    }
    if (p instanceof SocketPermission) throw new SecurityException('scripts may not open connections (' + p.getName() + ')')
    if (p instanceof RuntimePermission) {
      String n = p.getName()
      if (n.startsWith('exitVM') || n == 'setSecurityManager' || n == 'createSecurityManager' || n == 'setIO' || n == 'modifyThread' || n == 'modifyThreadGroup' || n.startsWith('loadLibrary')) {
        throw new SecurityException('scripts may not ' + n)
      }
    }
  }

  void checkPermission(Permission p, Object context) { checkPermission(p) }

  void checkAccess(ThreadGroup g) {
    if (Boolean.TRUE.equals(inScript.get())) throw new SecurityException('scripts may not start threads')
  }

  void checkAccess(Thread t) {
    if (Boolean.TRUE.equals(inScript.get())) throw new SecurityException('scripts may not change threads')
  }
}

// What Camunda's / Activiti's / Flowable's `execution` offers a script, over the variables and the
// activity's locals (camunda:inputOutput inputs).
class Execution {
  Map vars; Map locals; Map e
  Object getVariable(String n) { locals.containsKey(n) ? locals[n] : vars.containsKey(n) ? vars[n] : null }
  void setVariable(String n, Object v) { if (locals.containsKey(n)) locals[n] = v else vars[n] = v }
  boolean hasVariable(String n) { locals.containsKey(n) || vars.containsKey(n) }
  Map getVariables() { def o = [:]; o.putAll(vars); o.putAll(locals); o }
  Set getVariableNames() { getVariables().keySet() }
  void setVariables(Map m) { m.each { k, v -> setVariable(String.valueOf(k), v) } }
  void removeVariable(String n) { if (locals.containsKey(n)) locals.remove(n) else vars.remove(n) }
  Object getVariableLocal(String n) { locals[n] }
  void setVariableLocal(String n, Object v) { locals[n] = v }
  Map getVariablesLocal() { new LinkedHashMap(locals) }
  String getId() { e.id }
  String getActivityId() { e.activityId }
  String getCurrentActivityId() { e.activityId }
  String getEventName() { e.eventName }
  String getProcessInstanceId() { e.processInstanceId }
  String getProcessBusinessKey() { e.businessKey }
  String getBusinessKey() { e.businessKey }
  String getProcessDefinitionId() { e.processDefinitionKey }
}

// A task listener's `task` (DelegateTask): what it changes is handed back as `t`.
class Task {
  Map t; Execution execution
  String getId() { t.id }
  String getTaskDefinitionKey() { t.taskDefinitionKey }
  String getEventName() { t.eventName }
  String getName() { t.name }
  void setName(String v) { t.name = v }
  String getDescription() { t.description }
  void setDescription(String v) { t.description = v }
  String getAssignee() { t.assignee }
  void setAssignee(String v) { t.assignee = v }
  String getOwner() { t.owner }
  void setOwner(String v) { t.owner = v }
  int getPriority() { t.priority as int }
  void setPriority(int v) { t.priority = v }
  Object getDueDate() { t.dueDate }
  void setDueDate(Object v) { t.dueDate = v == null ? null : v instanceof Date ? ((Date) v).format("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", TimeZone.getTimeZone('UTC')) : String.valueOf(v) }
  void addCandidateUser(String u) { if (!t.candidateUsers.contains(u)) t.candidateUsers << u }
  void addCandidateUsers(Collection us) { us.each { addCandidateUser(String.valueOf(it)) } }
  void addCandidateGroup(String g) { if (!t.candidateGroups.contains(g)) t.candidateGroups << g }
  void addCandidateGroups(Collection gs) { gs.each { addCandidateGroup(String.valueOf(it)) } }
  void deleteCandidateUser(String u) { t.candidateUsers.remove(u) }
  void deleteCandidateGroup(String g) { t.candidateGroups.remove(g) }
  Execution getExecution() { execution }
  String getExecutionId() { execution.getId() }
  String getProcessInstanceId() { execution.getProcessInstanceId() }
  Object getVariable(String n) { execution.getVariable(n) }
  void setVariable(String n, Object v) { execution.setVariable(n, v) }
  Map getVariables() { execution.getVariables() }
  Object getVariableLocal(String n) { execution.getVariableLocal(n) }
  void setVariableLocal(String n, Object v) { execution.setVariableLocal(n, v) }
}

// IDM's `openidm` script API, as far as a BPMN script can use it here: a script task may ask for
// the approved account's creation (`openidm.action('sync', 'performAction', …)`), which is recorded
// and handed back (`o`), and happens as the approval's exactly-once createUser job after the run
// commits (src/workflow/scriptCalls.ts); every other call fails naming itself.
class OpenIdm {
  List calls = []
  boolean recording
  private Object refuse(String what) {
    throw new UnsupportedOperationException("openidm.${what} is not available in reconflow's BPMN scripts: a script task may call openidm.action('sync', 'performAction', …) to create the approved account".toString())
  }
  Object action(String resource, String actionName) { action(resource, actionName, null, null) }
  Object action(String resource, String actionName, Map content) { action(resource, actionName, content, null) }
  Object action(String resource, String actionName, Map content, Map params, Object... rest) {
    if (!recording) refuse("action('${resource}', '${actionName}') in a listener or mapping script")
    Map merged = [:]
    if (content != null) merged.putAll(content)
    if (params != null) merged.putAll(params)
    calls << [resource: resource, action: actionName, params: merged]
    return [:]
  }
  Object create(Object... a) { refuse('create') }
  Object read(Object... a) { refuse('read') }
  Object update(Object... a) { refuse('update') }
  Object patch(Object... a) { refuse('patch') }
  Object delete(Object... a) { refuse('delete') }
  Object query(Object... a) { refuse('query') }
}

// sync.json conf scripts' `logger` (as the JavaScript sandbox's, src/scripts/sandboxSource.ts): SLF4J
// `{}` placeholders, lines buffered during the call and handed back as `logs` (also when it threw),
// at most 100 per call, for the host to write to the server's log (src/recon/script.ts).
class ConfLogger {
  List lines = []
  int dropped = 0
  private void line(String level, Object format, Object[] args) {
    if (lines.size() >= 100) { dropped++; return }
    int i = 0
    String text = String.valueOf(format == null ? '' : format).replaceAll(/\{\}/) { m ->
      if (i >= args.length) return '{}'
      Object v = args[i++]
      return v instanceof String ? v : v instanceof Map || v instanceof Collection ? JsonOutput.toJson(v) : String.valueOf(v)
    }
    lines << [level, text.length() > 2000 ? text.substring(0, 2000) + '…' : text]
  }
  void trace(Object f, Object... a) { line('trace', f, a) }
  void debug(Object f, Object... a) { line('debug', f, a) }
  void info(Object f, Object... a) { line('info', f, a) }
  void warn(Object f, Object... a) { line('warn', f, a) }
  void error(Object f, Object... a) { line('error', f, a) }
  String drain() {
    if (!lines && !dropped) return null
    if (dropped) lines << ['warn', "${dropped} more logger line(s) of this call were dropped (at most 100 per call)".toString()]
    return JsonOutput.toJson(lines)
  }
}

// sync.json conf scripts' `identityServer`: a snapshot of the properties the script names, taken at
// start by the host (src/recon/script.ts); IdentityServer.getProperty answers the default when unset.
@CompileStatic
class IdentityServer {
  Map<String, Object> snapshot
  Object getProperty(String n) { getProperty(n, null) }
  Object getProperty(String n, Object dflt) { snapshot.containsKey(n) ? snapshot.get(n) : dflt }
  Object getProperty(String n, Object dflt, boolean substitute) { getProperty(n, dflt) }
}

def shell = new GroovyShell()
def cache = new LinkedHashMap<String, Class>(16, 0.75f, true) {
  protected boolean removeEldestEntry(Map.Entry e) { size() > MAX_SCRIPTS }
}
def slurper = new JsonSlurper()
int compiled = 0

def run = { Map req, ConfLogger logger = null ->
  Map vars = slurper.parseText(req.json as String) as Map
  Map meta = (vars.remove(LISTENER_META) ?: vars.remove(META)) as Map
  Map e = (meta?.e ?: [:]) as Map
  Map locals = (meta?.l ?: [:]) as Map
  Execution execution = new Execution(vars: vars, locals: locals, e: e)
  Map names = [:]
  names.putAll(vars)
  names.putAll(locals)
  // Written to by name, a variable stays the script's own unless the task stores them (autoStoreVariables).
  Binding binding = new Binding(names)
  binding.setVariable('execution', execution)
  OpenIdm openidm = new OpenIdm(recording: req.kind == 'task' && meta?.t == null && req.calls == true)
  binding.setVariable('openidm', openidm)
  if (logger != null) binding.setVariable('logger', logger)
  if (req.props instanceof Map) binding.setVariable('identityServer', new IdentityServer(snapshot: req.props as Map<String, Object>))
  Task task = null
  if (meta?.t) {
    Map t = new LinkedHashMap(meta.t as Map)
    t.candidateUsers = new ArrayList(t.candidateUsers ?: [])
    t.candidateGroups = new ArrayList(t.candidateGroups ?: [])
    task = new Task(t: t, execution: execution)
    binding.setVariable('task', task)
  }
  String src = req.src as String
  Class cls = cache.get(src)
  if (cls == null) {
    cls = shell.getClassLoader().parseClass(src, 'Script' + (++compiled) + '.groovy')
    cache.put(src, cls)
  }
  Script script = InvokerHelper.createScript(cls, binding)
  Object r
  Guard.inScript.set(true)
  try {
    r = script.run()
  } finally {
    Guard.inScript.set(false)
  }
  if (req.autoStore) {
    binding.getVariables().each { k, v -> if (!(k in ['execution', 'task', 'openidm', 'out', 'logger', 'identityServer'])) execution.setVariable(String.valueOf(k), v) }
  }
  if (req.kind == 'listener') r = [l: locals, t: task?.t]
  Map answer = [v: vars, r: r]
  if (openidm.calls) answer.o = openidm.calls
  return JsonOutput.toJson(answer)
}

String home = System.getProperty('java.home')
Guard.readable = [home, System.getProperty('reconflow.groovy.lib') ?: '/nonexistent/']
System.setSecurityManager(new Guard())

def out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, 'UTF-8')
def reader = new BufferedReader(new InputStreamReader(System.in, 'UTF-8'))
// One run through every class a request uses before saying ready: a first request does not pay
// for loading and linking them (under load, seconds) inside its time limit.
run([kind: 'listener', src: "execution.setVariable('w', task.getName()); openidm", json: '{"' + LISTENER_META + '":{"e":{"id":"w"},"l":{},"t":{"id":"w","name":"w","candidateUsers":[],"candidateGroups":[]}}}'])
run([kind: 'task', src: '1', json: '{"' + META + '":{"e":{"id":"w"},"l":{}}}', calls: true])
out.println('{"ready":true}')
out.flush()
String line
while ((line = reader.readLine()) != null) {
  Map req
  try {
    req = slurper.parseText(line) as Map
  } catch (Throwable t) {
    continue
  }
  String answer
  ConfLogger logger = req.conf == true ? new ConfLogger() : null
  try {
    if (req.op == 'compile') {
      // Deploy checks a script and warms the cache, so that its first run is not its compilation.
      String src = req.src as String
      if (cache.get(src) == null) cache.put(src, shell.getClassLoader().parseClass(src, 'Script' + (++compiled) + '.groovy'))
      answer = JsonOutput.toJson([seq: req.seq, ok: true])
    } else {
      String json = run(req, logger)
      Map ok = [seq: req.seq, ok: true, json: json]
      String logs = logger?.drain()
      if (logs != null) ok.logs = logs
      answer = JsonOutput.toJson(ok)
    }
  } catch (Throwable t) {
    // The refusal itself when a guarded call failed inside a class's initialisation.
    Throwable cause = t
    while (cause.getCause() != null && !(cause instanceof SecurityException)) cause = cause.getCause()
    if (!(cause instanceof SecurityException)) cause = t
    String message = cause instanceof MissingPropertyException ? "No such property: ${((MissingPropertyException) cause).getProperty()}" : (cause.getMessage() ?: cause.getClass().getName())
    Map failed = [seq: req.seq, ok: false, message: message.length() > 1000 ? message.substring(0, 1000) : message]
    String logs = logger?.drain()
    if (logs != null) failed.logs = logs
    answer = JsonOutput.toJson(failed)
  }
  out.println(answer)
  out.flush()
}

package io.github.kestrarotation.kestracheck;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.executions.LogEntry;
import io.kestra.core.models.executions.TaskRun;
import io.kestra.core.models.flows.FlowWithSource;
import io.kestra.core.models.flows.GenericFlow;
import io.kestra.core.repositories.ExecutionRepositoryInterface;
import io.kestra.core.repositories.FlowRepositoryInterface;
import io.kestra.core.runners.TestRunner;
import io.kestra.core.runners.TestRunnerUtils;
import io.kestra.core.serializers.JacksonMapper;
import io.kestra.core.tenant.TenantService;
import io.micronaut.context.ApplicationContext;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kestra's executor and worker in process (as {@link RunFlow}), for many executions in one JVM:
 * reads one JSON request a line on stdin, {@code {"flow": FILE, "with": [FILE...], "inputs": {...}}},
 * runs the execution to its end and prints one line {@code @@engine {JSON}} with its id, state,
 * task runs (id, state, attempts, outputs, a Subflow's child execution) and every log line Kestra
 * stored for it. With {@code "webhook": {"key": K, "body": JSON}} instead of inputs, the execution
 * comes from the flow's webhook trigger, as a call of its URL makes it ({@link Webhooks}); with
 * {@code "realtime": {"trigger": ID, "output": {...}}}, from one message of a realtime trigger
 * ({@link Realtime}). Files named in
 * {@code with} (the flows a Subflow task calls) are saved in the flow repository first; each file
 * is saved once per JVM.
 *
 * <p>Usage: {@code Engine [--process]}; {@code --process} as in RunFlow. Secrets come from
 * {@code SECRET_<NAME>} and settings from {@code ENV_<NAME>} environment variables, as on a Kestra
 * OSS server. A {@code "@@engine {"ready":true}"} line says the engine is up.
 */
public final class Engine {
    private static final String PREFIX = "@@engine ";

    private Engine() {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        boolean process = args.length > 0 && args[0].equals("--process");
        ObjectMapper json = JacksonMapper.ofJson();
        String tenant = TenantService.MAIN_TENANT;
        Map<String, FlowWithSource> saved = new HashMap<>();
        try (ApplicationContext ctx = ApplicationContext.run()) {
            ctx.getBean(TestRunner.class).run();
            FlowRepositoryInterface repo = ctx.getBean(FlowRepositoryInterface.class);
            TestRunnerUtils utils = ctx.getBean(TestRunnerUtils.class);
            print(json, Map.of("ready", true));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> res = new LinkedHashMap<>();
                try {
                    Map<String, Object> req = json.readValue(line, Map.class);
                    List<String> files = new ArrayList<>();
                    if (req.get("with") != null) {
                        files.addAll((List<String>) req.get("with"));
                    }
                    String file = (String) req.get("flow");
                    files.add(file);
                    for (String f : files) {
                        if (!saved.containsKey(f)) {
                            saved.put(f, repo.create(GenericFlow.fromYaml(tenant, RunFlow.source(f, process))));
                        }
                    }
                    FlowWithSource flow = saved.get(file);
                    Map<String, Object> inputs = req.get("inputs") == null ? Map.of() : (Map<String, Object>) req.get("inputs");
                    Map<String, Object> hook = (Map<String, Object>) req.get("webhook");
                    Map<String, Object> rt = (Map<String, Object>) req.get("realtime");
                    Execution e = hook != null
                        ? Webhooks.call(ctx, tenant, flow, (String) hook.get("key"), (String) hook.get("body"))
                        : rt != null
                        ? Realtime.fire(ctx, tenant, flow, (String) rt.get("trigger"), (Map<String, Object>) rt.get("output"))
                        // 30 minutes: a 200-secret fleet execution (TestFleetThroughput) took 9 on a loaded machine
                        : utils.runOne(tenant, flow.getNamespace(), flow.getId(), null, (fl, x) -> inputs, Duration.ofMinutes(30));
                    res.putAll(describe(ctx, tenant, e));
                } catch (Exception ex) {
                    res.put("error", ex.toString());
                }
                print(json, res);
            }
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    /**
     * An execution's id, state, task runs (with their start-to-end times) and logs; a Subflow task run's child execution (its
     * outputs name it as executionId) is described under the task run's "child".
     */
    static Map<String, Object> describe(ApplicationContext ctx, String tenant, Execution e) throws InterruptedException {
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("id", e.getId());
        res.put("state", e.getState().getCurrent().toString());
        res.put("inputs", e.getInputs() == null ? Map.of() : e.getInputs());
        // labels as {key, value}, and Kestra's own start-to-end time (without this harness's log settling)
        res.put("labels", e.getLabels() == null ? List.of() : e.getLabels());
        res.put("durationMs", e.getState().getDuration().map(java.time.Duration::toMillis).orElse(0L));
        List<Map<String, Object>> trs = new ArrayList<>();
        for (TaskRun tr : e.getTaskRunList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("taskId", tr.getTaskId());
            m.put("state", tr.getState().getCurrent().toString());
            m.put("attempts", tr.getAttempts() == null ? 0 : tr.getAttempts().size());
            m.put("durationMs", tr.getState().getDuration().map(java.time.Duration::toMillis).orElse(0L));
            m.put("outputs", tr.getOutputs() == null ? Map.of() : tr.getOutputs());
            Object child = tr.getOutputs() == null ? null : tr.getOutputs().get("executionId");
            if (child instanceof String id) {
                ExecutionRepositoryInterface repo = ctx.getBean(ExecutionRepositoryInterface.class);
                Execution c = repo.findById(tenant, id).orElse(null);
                for (int i = 0; c != null && !c.getState().isTerminated() && i < 50; i++) {
                    Thread.sleep(100);
                    c = repo.findById(tenant, id).orElse(null);
                }
                if (c != null) {
                    m.put("child", describe(ctx, tenant, c));
                }
            }
            trs.add(m);
        }
        res.put("taskRuns", trs);
        res.put("logs", settledLogs(ctx, tenant, e.getId()));
        return res;
    }

    /**
     * The execution's logs, once two reads 300 ms apart agree and are not empty (the log queue is
     * asynchronous; every execution logs, a failed one at least its error), 6 s at most.
     */
    static List<Map<String, Object>> settledLogs(ApplicationContext ctx, String tenant, String id) throws InterruptedException {
        List<LogEntry> prev = RunFlow.logs(ctx, tenant, id);
        for (int i = 0; i < 20; i++) {
            Thread.sleep(300);
            List<LogEntry> cur = RunFlow.logs(ctx, tenant, id);
            if (cur.size() == prev.size() && !cur.isEmpty()) {
                break;
            }
            prev = cur;
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (LogEntry l : prev) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("taskId", l.getTaskId() == null ? "" : l.getTaskId());
            m.put("level", l.getLevel().toString());
            m.put("message", l.getMessage());
            out.add(m);
        }
        return out;
    }

    private static void print(ObjectMapper json, Object v) throws Exception {
        System.out.println(PREFIX + json.writeValueAsString(v));
        System.out.flush();
    }
}

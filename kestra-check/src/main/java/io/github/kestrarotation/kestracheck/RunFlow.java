package io.github.kestrarotation.kestracheck;

import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.executions.LogEntry;
import java.util.List;
import io.kestra.core.models.executions.TaskRun;
import io.kestra.core.models.flows.FlowWithSource;
import io.kestra.core.models.flows.GenericFlow;
import io.kestra.core.models.flows.State;
import io.kestra.core.repositories.FlowRepositoryInterface;
import io.kestra.core.runners.TestRunner;
import io.kestra.core.runners.TestRunnerUtils;
import io.kestra.core.tenant.TenantService;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * Runs one flow with Kestra's own executor and worker, in process (the in-memory runner Kestra's
 * plugin tests use), and prints its task runs, outputs and logs.
 *
 * <p>Usage: {@code RunFlow [--process] [--with SUBFLOW_FILE]... FILE [INPUT=VALUE...]}. With
 * {@code --process} the Docker task runner of every task is replaced by Kestra's Process task
 * runner, so the commands run on this machine (binaries from PATH). Each {@code --with} file is
 * saved in the flow repository first, so that FILE's Subflow tasks find it. Secrets come from {@code SECRET_<NAME>} environment variables
 * (base64), as on a Kestra OSS server. Exits 0 if the execution ends SUCCESS.
 */
public final class RunFlow {
    private RunFlow() {
    }

    public static void main(String[] args) throws Exception {
        int first = 0;
        boolean process = args.length > 0 && args[0].equals("--process");
        if (process) {
            first = 1;
        }
        List<String> others = new java.util.ArrayList<>();
        while (first + 1 < args.length && args[first].equals("--with")) {
            others.add(source(args[first + 1], process));
            first += 2;
        }
        String src = source(args[first], process);
        Map<String, Object> inputs = new HashMap<>();
        for (int i = first + 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            inputs.put(kv[0], kv[1]);
        }
        int rc = 1;
        try (ApplicationContext ctx = ApplicationContext.run()) {
            TestRunner runner = ctx.getBean(TestRunner.class);
            runner.run();
            String tenant = TenantService.MAIN_TENANT;
            FlowRepositoryInterface repo = ctx.getBean(FlowRepositoryInterface.class);
            for (String other : others) {
                repo.create(GenericFlow.fromYaml(tenant, other));
            }
            FlowWithSource flow = repo.create(GenericFlow.fromYaml(tenant, src));
            Execution e = ctx.getBean(TestRunnerUtils.class)
                .runOne(tenant, flow.getNamespace(), flow.getId(), null, (f, x) -> inputs, Duration.ofMinutes(10));
            for (TaskRun tr : e.getTaskRunList()) {
                System.out.println("task " + tr.getTaskId() + ": " + tr.getState().getCurrent() + " outputs=" + (tr.getOutputs() == null ? "{}" : new java.util.TreeMap<>(tr.getOutputs())));
            }
            for (LogEntry l : logs(ctx, tenant, e.getId())) {
                System.out.println("  log " + l.getTaskId() + " " + l.getLevel() + " " + l.getMessage());
            }
            System.out.println("execution " + e.getId() + ": " + e.getState().getCurrent());
            rc = e.getState().getCurrent() == State.Type.SUCCESS ? 0 : 1;
        } catch (Exception ex) {
            ex.printStackTrace();
        }
        System.out.flush();
        Runtime.getRuntime().halt(rc);
    }

    /** A flow's source, with the Process task runner in place of Docker when process is set. */
    static String source(String file, boolean process) throws java.io.IOException {
        String src = Files.readString(Path.of(file));
        return process ? src.replace("io.kestra.plugin.scripts.runner.docker.Docker", "io.kestra.plugin.core.runner.Process") : src;
    }

    /**
     * The execution's logs from Kestra 1.3's log repository, or 2.0's log data store (the
     * interface was renamed; its findByExecutionId is the same), or none.
     */
    @SuppressWarnings("unchecked")
    static List<LogEntry> logs(ApplicationContext ctx, String tenant, String executionId) {
        for (String name : List.of("io.kestra.core.repositories.LogRepositoryInterface", "io.kestra.core.repositories.LogDataStoreInterface")) {
            try {
                Class<?> repo = Class.forName(name);
                Object bean = ctx.getBean(repo);
                return (List<LogEntry>) repo.getMethod("findByExecutionId", String.class, String.class, Level.class)
                    .invoke(bean, tenant, executionId, Level.INFO);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // not this version's
            }
        }
        return List.of();
    }
}

package io.github.kestrarotation.kestracheck;

import io.kestra.core.models.conditions.ConditionContext;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.flows.Flow;
import io.kestra.core.models.tasks.Output;
import io.kestra.core.models.triggers.AbstractTrigger;
import io.kestra.core.models.triggers.TriggerContext;
import io.kestra.core.models.triggers.TriggerService;
import io.kestra.core.queues.QueueInterface;
import io.kestra.core.repositories.ExecutionRepositoryInterface;
import io.kestra.core.runners.RunContextFactory;
import io.micronaut.context.ApplicationContext;
import io.micronaut.inject.qualifiers.Qualifiers;
import java.time.ZonedDateTime;
import java.util.Map;

/**
 * One message of a realtime trigger, in process. The cloud plugins' jars are not on Maven Central
 * (standin/), so the part of their {@code evaluate} that reads the queue and turns a message into
 * the trigger's output cannot run here: the caller passes that output, shaped as the plugin's own
 * output class (its fields read from the plugin's source). The rest is Kestra's: the execution is
 * made by {@link TriggerService#generateRealtimeExecution}, as the worker does with what a
 * realtime trigger's publisher yields, and started on the execution queue.
 */
final class Realtime {
    private Realtime() {
    }

    /** Starts flow's trigger triggerId with output and returns the execution once it ends (10 min at most). */
    @SuppressWarnings("unchecked")
    static Execution fire(ApplicationContext ctx, String tenant, Flow flow, String triggerId, Map<String, Object> output) throws Exception {
        AbstractTrigger trigger = flow.getTriggers().stream().filter(t -> t.getId().equals(triggerId)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no trigger " + triggerId + " in " + flow.getId()));
        ConditionContext cc = ConditionContext.builder().flow(flow)
            .runContext(ctx.getBean(RunContextFactory.class).of(flow, trigger)).build();
        TriggerContext tc = TriggerContext.builder().tenantId(tenant).namespace(flow.getNamespace()).flowId(flow.getId())
            .triggerId(trigger.getId()).date(ZonedDateTime.now()).build();
        Output out = new Output() {
            @Override
            public Map<String, Object> toMap() {
                return output;
            }
        };
        Execution e = TriggerService.generateRealtimeExecution(trigger, cc, tc, out);
        // 1.3's QueueFactoryInterface.EXECUTION_NAMED (the class is gone from 2.0, where this does not run)
        QueueInterface<Execution> queue = ctx.getBean(QueueInterface.class, Qualifiers.byName("executionQueue"));
        queue.emit(e);
        ExecutionRepositoryInterface repo = ctx.getBean(ExecutionRepositoryInterface.class);
        for (int i = 0; i < 6000; i++) {
            Execution cur = repo.findById(tenant, e.getId()).orElse(null);
            if (cur != null && cur.getState().isTerminated()) {
                return cur;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("execution " + e.getId() + " did not end within 10 minutes");
    }
}

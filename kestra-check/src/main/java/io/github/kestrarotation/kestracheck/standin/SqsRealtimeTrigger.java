package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.annotations.Plugin;
import io.kestra.core.models.conditions.ConditionContext;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.RealtimeTriggerInterface;
import io.kestra.core.models.triggers.TriggerContext;
import java.time.Duration;
import org.reactivestreams.Publisher;

/** io.kestra.plugin.aws.sqs.RealtimeTrigger (plugin-aws v2.8.2), for parsing only. */
@Plugin(aliases = "io.kestra.plugin.aws.sqs.RealtimeTrigger")
public class SqsRealtimeTrigger extends SqsTriggerBase implements RealtimeTriggerInterface {
    private Property<Duration> waitTime;
    private Property<Integer> maxNumberOfMessage;
    private Property<Integer> clientRetryMaxAttempts;

    public SqsRealtimeTrigger() {
    }

    public Property<Duration> getWaitTime() { return waitTime; }
    public Property<Integer> getMaxNumberOfMessage() { return maxNumberOfMessage; }
    public Property<Integer> getClientRetryMaxAttempts() { return clientRetryMaxAttempts; }

    public Publisher<Execution> evaluate(ConditionContext c, TriggerContext t) {
        throw Unsupported.trigger(this);
    }
}

package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.annotations.Plugin;
import io.kestra.core.models.conditions.ConditionContext;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.PollingTriggerInterface;
import io.kestra.core.models.triggers.TriggerContext;
import java.time.Duration;
import java.util.Optional;

/** io.kestra.plugin.aws.sqs.Trigger (plugin-aws v2.8.2), for parsing only. */
@Plugin(aliases = "io.kestra.plugin.aws.sqs.Trigger")
public class SqsTrigger extends SqsTriggerBase implements PollingTriggerInterface {
    private Duration interval = Duration.ofSeconds(60);
    private Property<Integer> maxRecords;
    private Property<Duration> maxDuration;

    public SqsTrigger() {
    }

    @Override
    public Duration getInterval() { return interval; }
    public Property<Integer> getMaxRecords() { return maxRecords; }
    public Property<Duration> getMaxDuration() { return maxDuration; }

    public Optional<Execution> evaluate(ConditionContext c, TriggerContext t) {
        throw Unsupported.trigger(this);
    }
}

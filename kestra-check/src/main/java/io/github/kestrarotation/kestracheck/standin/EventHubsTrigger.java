package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.annotations.Plugin;
import io.kestra.core.models.conditions.ConditionContext;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.PollingTriggerInterface;
import io.kestra.core.models.triggers.TriggerContext;
import java.time.Duration;
import java.util.Optional;

/** io.kestra.plugin.azure.eventhubs.Trigger (plugin-azure v2.6.3), for parsing only. */
@Plugin(aliases = "io.kestra.plugin.azure.eventhubs.Trigger")
public class EventHubsTrigger extends EventHubsTriggerBase implements PollingTriggerInterface {
    private Duration interval = Duration.ofSeconds(60);
    private Property<Integer> maxBatchSizePerPartition;
    private Property<Duration> maxWaitTimePerPartition;
    private Property<Duration> maxDuration;

    public EventHubsTrigger() {
    }

    @Override
    public Duration getInterval() { return interval; }
    public Property<Integer> getMaxBatchSizePerPartition() { return maxBatchSizePerPartition; }
    public Property<Duration> getMaxWaitTimePerPartition() { return maxWaitTimePerPartition; }
    public Property<Duration> getMaxDuration() { return maxDuration; }

    public Optional<Execution> evaluate(ConditionContext c, TriggerContext t) {
        throw Unsupported.trigger(this);
    }
}

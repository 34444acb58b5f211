package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.annotations.Plugin;
import io.kestra.core.models.conditions.ConditionContext;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.PollingTriggerInterface;
import io.kestra.core.models.triggers.TriggerContext;
import java.time.Duration;
import java.util.Optional;

/** io.kestra.plugin.azure.servicebus.Trigger (plugin-azure v2.6.3), for parsing only. */
@Plugin(aliases = "io.kestra.plugin.azure.servicebus.Trigger")
public class ServiceBusTrigger extends ServiceBusTriggerBase implements PollingTriggerInterface {
    private Property<Integer> maxMessages;
    private Property<Duration> maxReceiveDuration;
    private Duration interval = Duration.ofSeconds(60);

    public ServiceBusTrigger() {
    }

    public Property<Integer> getMaxMessages() { return maxMessages; }
    public Property<Duration> getMaxReceiveDuration() { return maxReceiveDuration; }
    @Override
    public Duration getInterval() { return interval; }

    public Optional<Execution> evaluate(ConditionContext c, TriggerContext t) {
        throw Unsupported.trigger(this);
    }
}

package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.annotations.Plugin;
import io.kestra.core.models.conditions.ConditionContext;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.triggers.PollingTriggerInterface;
import io.kestra.core.models.triggers.TriggerContext;
import java.time.Duration;
import java.util.Optional;

/** io.kestra.plugin.gcp.pubsub.Trigger (plugin-gcp v2.11.0), for parsing only. */
@Plugin(aliases = "io.kestra.plugin.gcp.pubsub.Trigger")
public class PubSubTrigger extends PubSubTriggerBase implements PollingTriggerInterface {
    private Duration interval = Duration.ofSeconds(60);

    public PubSubTrigger() {
    }

    @Override
    public Duration getInterval() { return interval; }

    public Optional<Execution> evaluate(ConditionContext c, TriggerContext t) {
        throw Unsupported.trigger(this);
    }
}

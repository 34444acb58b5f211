package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.annotations.Plugin;
import io.kestra.core.models.conditions.ConditionContext;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.RealtimeTriggerInterface;
import io.kestra.core.models.triggers.TriggerContext;
import java.time.Duration;
import org.reactivestreams.Publisher;

/** io.kestra.plugin.gcp.pubsub.RealtimeTrigger (plugin-gcp v2.11.0), for parsing only. */
@Plugin(aliases = "io.kestra.plugin.gcp.pubsub.RealtimeTrigger")
public class PubSubRealtimeTrigger extends PubSubTriggerBase implements RealtimeTriggerInterface {
    private Property<Duration> interval;

    public PubSubRealtimeTrigger() {
    }

    public Property<Duration> getInterval() { return interval; }

    public Publisher<Execution> evaluate(ConditionContext c, TriggerContext t) {
        throw Unsupported.trigger(this);
    }
}

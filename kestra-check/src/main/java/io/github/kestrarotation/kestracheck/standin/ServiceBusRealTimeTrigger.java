package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.annotations.Plugin;
import io.kestra.core.models.conditions.ConditionContext;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.triggers.RealtimeTriggerInterface;
import io.kestra.core.models.triggers.TriggerContext;
import org.reactivestreams.Publisher;

/** io.kestra.plugin.azure.servicebus.RealTimeTrigger, capital T (plugin-azure v2.6.3), for parsing only. */
@Plugin(aliases = "io.kestra.plugin.azure.servicebus.RealTimeTrigger")
public class ServiceBusRealTimeTrigger extends ServiceBusTriggerBase implements RealtimeTriggerInterface {
    public ServiceBusRealTimeTrigger() {
    }

    public Publisher<Execution> evaluate(ConditionContext c, TriggerContext t) {
        throw Unsupported.trigger(this);
    }
}

package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.AbstractTrigger;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.List;

/** The properties io.kestra.plugin.gcp.pubsub.Trigger and RealtimeTrigger share (plugin-gcp v2.11.0). */
public abstract class PubSubTriggerBase extends AbstractTrigger {
    /** io.kestra.plugin.gcp.pubsub.model.SerdeType. */
    public enum SerdeType { STRING, JSON }

    private Property<String> projectId;
    private Property<String> serviceAccount;
    private Property<String> impersonatedServiceAccount;
    private Property<List<String>> scopes;
    private Property<String> topic;
    private Property<String> subscription;
    private Property<Boolean> autoCreateSubscription;
    private Property<Integer> maxRecords;
    private Property<Duration> maxDuration;
    @NotNull
    private Property<SerdeType> serdeType = Property.ofValue(SerdeType.STRING);

    public Property<String> getProjectId() { return projectId; }
    public Property<String> getServiceAccount() { return serviceAccount; }
    public Property<String> getImpersonatedServiceAccount() { return impersonatedServiceAccount; }
    public Property<List<String>> getScopes() { return scopes; }
    public Property<String> getTopic() { return topic; }
    public Property<String> getSubscription() { return subscription; }
    public Property<Boolean> getAutoCreateSubscription() { return autoCreateSubscription; }
    public Property<Integer> getMaxRecords() { return maxRecords; }
    public Property<Duration> getMaxDuration() { return maxDuration; }
    public Property<SerdeType> getSerdeType() { return serdeType; }
}

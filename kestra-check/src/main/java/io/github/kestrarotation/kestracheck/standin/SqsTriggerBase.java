package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.AbstractTrigger;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;

/** The properties io.kestra.plugin.aws.sqs.Trigger and RealtimeTrigger share (plugin-aws v2.8.2). */
public abstract class SqsTriggerBase extends AbstractTrigger {
    /** io.kestra.plugin.aws.sqs.model.SerdeType. */
    public enum SerdeType { STRING, JSON }

    private Property<String> queueUrl;
    private Property<String> accessKeyId;
    private Property<String> secretKeyId;
    private Property<String> sessionToken;
    private Property<String> region;
    private Property<String> endpointOverride;
    private Property<Integer> maxConcurrency;
    private Property<Duration> connectionAcquisitionTimeout;
    @NotNull
    private Property<SerdeType> serdeType = Property.ofValue(SerdeType.STRING);
    private Property<String> stsRoleArn;
    private Property<String> stsRoleExternalId;
    private Property<String> stsRoleSessionName;
    private Property<String> stsEndpointOverride;
    private Property<Duration> stsRoleSessionDuration;
    private Property<Boolean> autoDelete;
    private Property<Integer> visibilityTimeout;

    public Property<String> getQueueUrl() { return queueUrl; }
    public Property<String> getAccessKeyId() { return accessKeyId; }
    public Property<String> getSecretKeyId() { return secretKeyId; }
    public Property<String> getSessionToken() { return sessionToken; }
    public Property<String> getRegion() { return region; }
    public Property<String> getEndpointOverride() { return endpointOverride; }
    public Property<Integer> getMaxConcurrency() { return maxConcurrency; }
    public Property<Duration> getConnectionAcquisitionTimeout() { return connectionAcquisitionTimeout; }
    public Property<SerdeType> getSerdeType() { return serdeType; }
    public Property<String> getStsRoleArn() { return stsRoleArn; }
    public Property<String> getStsRoleExternalId() { return stsRoleExternalId; }
    public Property<String> getStsRoleSessionName() { return stsRoleSessionName; }
    public Property<String> getStsEndpointOverride() { return stsEndpointOverride; }
    public Property<Duration> getStsRoleSessionDuration() { return stsRoleSessionDuration; }
    public Property<Boolean> getAutoDelete() { return autoDelete; }
    public Property<Integer> getVisibilityTimeout() { return visibilityTimeout; }
}

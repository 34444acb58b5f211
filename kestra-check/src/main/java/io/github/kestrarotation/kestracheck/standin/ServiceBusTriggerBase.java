package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.AbstractTrigger;
import jakarta.validation.constraints.NotNull;

/** The properties io.kestra.plugin.azure.servicebus.Trigger and RealTimeTrigger share (plugin-azure v2.6.3). */
public abstract class ServiceBusTriggerBase extends AbstractTrigger {
    /** io.kestra.plugin.azure.servicebus.SerdeType. */
    public enum SerdeType { STRING, JSON }

    /** com.azure.messaging.servicebus.models.ServiceBusReceiveMode. */
    public enum ReceiveMode { PEEK_LOCK, RECEIVE_AND_DELETE }

    /** com.azure.messaging.servicebus.models.SubQueue. */
    public enum SubQueue { NONE, DEAD_LETTER_QUEUE, TRANSFER_DEAD_LETTER_QUEUE }

    private Property<String> queueName;
    private Property<String> topicName;
    private Property<String> connectionString;
    private Property<String> subscriptionName;
    private Property<ReceiveMode> receiveMode;
    private Property<SubQueue> subQueue;
    @NotNull
    private Property<SerdeType> serdeType = Property.ofValue(SerdeType.STRING);
    private Property<String> tenantId;
    private Property<String> clientId;
    private Property<String> clientSecret;
    private Property<String> pemCertificate;

    public Property<String> getQueueName() { return queueName; }
    public Property<String> getTopicName() { return topicName; }
    public Property<String> getConnectionString() { return connectionString; }
    public Property<String> getSubscriptionName() { return subscriptionName; }
    public Property<ReceiveMode> getReceiveMode() { return receiveMode; }
    public Property<SubQueue> getSubQueue() { return subQueue; }
    public Property<SerdeType> getSerdeType() { return serdeType; }
    public Property<String> getTenantId() { return tenantId; }
    public Property<String> getClientId() { return clientId; }
    public Property<String> getClientSecret() { return clientSecret; }
    public Property<String> getPemCertificate() { return pemCertificate; }
}

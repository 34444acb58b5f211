package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.property.Property;
import io.kestra.core.models.triggers.AbstractTrigger;
import java.util.Map;

/** The properties io.kestra.plugin.azure.eventhubs.Trigger and RealtimeTrigger share (plugin-azure v2.6.3). */
public abstract class EventHubsTriggerBase extends AbstractTrigger {
    /** io.kestra.plugin.azure.eventhubs.serdes.Serdes. */
    public enum Serdes { STRING, BINARY, ION, JSON }

    /** io.kestra.plugin.azure.eventhubs.service.consumer.StartingPosition. */
    public enum StartingPosition { EARLIEST, LATEST, INSTANT }

    private Property<String> connectionString;
    private Property<String> sharedKeyAccountName;
    private Property<String> sharedKeyAccountAccessKey;
    private Property<String> sasToken;
    private Property<Integer> clientMaxRetries;
    private Property<Long> clientRetryDelay;
    private Property<Serdes> bodyDeserializer;
    private Property<Map<String, Object>> bodyDeserializerProperties;
    private Property<String> consumerGroup;
    private Property<StartingPosition> partitionStartingPosition;
    private Property<String> enqueueTime;
    private Property<Map<String, String>> checkpointStoreProperties;
    private Property<String> namespace;
    private Property<String> eventHubName;
    private Property<String> customEndpointAddress;

    public Property<String> getConnectionString() { return connectionString; }
    public Property<String> getSharedKeyAccountName() { return sharedKeyAccountName; }
    public Property<String> getSharedKeyAccountAccessKey() { return sharedKeyAccountAccessKey; }
    public Property<String> getSasToken() { return sasToken; }
    public Property<Integer> getClientMaxRetries() { return clientMaxRetries; }
    public Property<Long> getClientRetryDelay() { return clientRetryDelay; }
    public Property<Serdes> getBodyDeserializer() { return bodyDeserializer; }
    public Property<Map<String, Object>> getBodyDeserializerProperties() { return bodyDeserializerProperties; }
    public Property<String> getConsumerGroup() { return consumerGroup; }
    public Property<StartingPosition> getPartitionStartingPosition() { return partitionStartingPosition; }
    public Property<String> getEnqueueTime() { return enqueueTime; }
    public Property<Map<String, String>> getCheckpointStoreProperties() { return checkpointStoreProperties; }
    public Property<String> getNamespace() { return namespace; }
    public Property<String> getEventHubName() { return eventHubName; }
    public Property<String> getCustomEndpointAddress() { return customEndpointAddress; }
}

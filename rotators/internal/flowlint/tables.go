package flowlint

// The allow-lists: what a pack flow may use so that it parses on Kestra 1.3
// LTS and 2.0 (checked against the classes of io.kestra:core and
// io.kestra:script 1.3.19 and 2.0.0 and of plugin-aws 2.8.2, plugin-gcp
// 2.11.0 and plugin-azure 2.6.3). These tables are read-only.

// Task and runner types the rules refer to by name.
const (
	commandsType   = "io.kestra.plugin.scripts.shell.Commands"
	subflowType    = "io.kestra.plugin.core.flow.Subflow"
	parallelType   = "io.kestra.plugin.core.flow.Parallel"
	sequentialType = "io.kestra.plugin.core.flow.Sequential"
	ifType         = "io.kestra.plugin.core.flow.If"
	switchType     = "io.kestra.plugin.core.flow.Switch"
	loopUntilType  = "io.kestra.plugin.core.flow.LoopUntil"
	scheduleType   = "io.kestra.plugin.core.trigger.Schedule"
	dockerRunner   = "io.kestra.plugin.scripts.runner.docker.Docker"
	processRunner  = "io.kestra.plugin.core.runner.Process"
)

// spec is the allow-list of one type: its own properties (besides the
// common ones), the required ones, and the properties holding child tasks.
type spec struct {
	props    []string
	required []string
	children []string // lists of tasks run in sequence
	parallel bool     // children of "tasks" run at the same time
	cases    bool     // "cases" is a map of task lists (Switch)
	oneOf    []string // at least one of these is required
	loop     bool     // its own outputs (iterationCount) exist in its children and its condition
}

var topLevelKeys = []string{
	"id", "namespace", "description", "labels", "inputs", "outputs", "variables",
	"tasks", "errors", "finally", "triggers", "concurrency", "retry", "disabled",
}

var commonTaskProps = []string{
	"id", "type", "description", "retry", "timeout", "disabled", "logLevel",
	"allowFailure", "allowWarning", "logToFile",
}

var commonTriggerProps = []string{
	"id", "type", "description", "disabled", "logLevel", "stopAfter", "logToFile",
}

var flowableLists = []string{"errors", "finally"}

var taskSpecs = map[string]spec{
	commandsType: {
		props: []string{"commands", "beforeCommands", "containerImage", "taskRunner", "env",
			"inputFiles", "outputFiles", "namespaceFiles", "interpreter", "failFast", "targetOS"},
		required: []string{"commands"},
	},
	"io.kestra.plugin.core.log.Log":        {props: []string{"message", "level"}, required: []string{"message"}},
	"io.kestra.plugin.core.debug.Return":   {props: []string{"format"}},
	"io.kestra.plugin.core.execution.Fail": {props: []string{"condition", "errorMessage"}},
	subflowType: {
		props:    []string{"namespace", "flowId", "inputs", "labels", "wait", "transmitFailed", "inheritLabels", "revision"},
		required: []string{"namespace", "flowId"},
	},
	parallelType: {
		props: []string{"tasks", "concurrent", "errors", "finally"}, required: []string{"tasks"},
		children: []string{"tasks"}, parallel: true,
	},
	sequentialType: {
		props: []string{"tasks", "errors", "finally"}, required: []string{"tasks"},
		children: []string{"tasks"},
	},
	ifType: {
		props: []string{"condition", "then", "else", "errors", "finally"}, required: []string{"condition", "then"},
		children: []string{"then", "else"},
	},
	switchType: {
		props: []string{"value", "cases", "defaults", "errors", "finally"}, required: []string{"value"},
		children: []string{"defaults"}, cases: true,
	},
	// The one loop both versions have (ForEach is 1.3 only, Loop 2.0 only).
	loopUntilType: {
		props:    []string{"tasks", "condition", "failOnMaxReached", "checkFrequency", "errors", "finally"},
		required: []string{"tasks", "condition"}, children: []string{"tasks"}, loop: true,
	},
	"io.kestra.plugin.core.execution.Labels": {props: []string{"labels"}, required: []string{"labels"}},
	"io.kestra.plugin.core.kv.Set": {props: []string{"key", "value", "namespace", "overwrite", "ttl", "kvType", "kvDescription"},
		required: []string{"key", "value"}},
	"io.kestra.plugin.core.kv.Delete": {props: []string{"key", "namespace", "errorOnMissing"}, required: []string{"key"}},
	// rotate-secret's errors branch: the failed step's exit code, read with errorLogs()
	"io.kestra.plugin.core.output.OutputValues": {props: []string{"values"}, required: []string{"values"}},
}

var runnerSpecs = map[string]spec{
	dockerRunner: {props: []string{"host", "config", "credentials", "user", "entryPoint", "extraHosts",
		"networkMode", "portBindings", "volumes", "pullPolicy", "deviceRequests", "cpu", "memory", "shmSize",
		"privileged", "fileHandlingStrategy", "delete", "wait", "killGracePeriod", "resume"}},
	processRunner: {},
}

var (
	sqsCommon = []string{"queueUrl", "region", "accessKeyId", "secretKeyId", "sessionToken", "endpointOverride",
		"stsRoleArn", "stsRoleExternalId", "stsRoleSessionName", "stsEndpointOverride", "stsRoleSessionDuration",
		"serdeType", "autoDelete", "visibilityTimeout", "maxConcurrency", "connectionAcquisitionTimeout"}
	pubsubCommon = []string{"projectId", "serviceAccount", "impersonatedServiceAccount", "scopes", "topic",
		"subscription", "autoCreateSubscription", "interval", "maxRecords", "maxDuration", "serdeType"}
	serviceBusCommon = []string{"queueName", "topicName", "subscriptionName", "connectionString", "receiveMode",
		"subQueue", "serdeType", "tenantId", "clientId", "clientSecret", "pemCertificate"}
	eventHubsCommon = []string{"connectionString", "sharedKeyAccountName", "sharedKeyAccountAccessKey", "sasToken",
		"clientMaxRetries", "clientRetryDelay", "bodyDeserializer", "bodyDeserializerProperties", "consumerGroup",
		"partitionStartingPosition", "enqueueTime", "checkpointStoreProperties", "namespace", "eventHubName",
		"customEndpointAddress"}
)

var triggerSpecs = map[string]spec{
	scheduleType: {
		props:    []string{"cron", "withSeconds", "timezone", "inputs", "recoverMissedSchedules", "lateMaximumDelay"},
		required: []string{"cron"},
	},
	"io.kestra.plugin.core.trigger.Webhook": {props: []string{"key", "wait", "returnOutputs"}, required: []string{"key"}},
	"io.kestra.plugin.aws.sqs.Trigger": {
		props: append([]string{"interval", "maxRecords", "maxDuration"}, sqsCommon...), required: []string{"queueUrl"},
	},
	"io.kestra.plugin.aws.sqs.RealtimeTrigger": {
		props:    append([]string{"waitTime", "maxNumberOfMessage", "clientRetryMaxAttempts"}, sqsCommon...),
		required: []string{"queueUrl"},
	},
	"io.kestra.plugin.gcp.pubsub.Trigger":         {props: pubsubCommon, required: []string{"topic"}},
	"io.kestra.plugin.gcp.pubsub.RealtimeTrigger": {props: pubsubCommon, required: []string{"topic"}},
	"io.kestra.plugin.azure.servicebus.Trigger": {
		props: append([]string{"maxMessages", "maxReceiveDuration", "interval"}, serviceBusCommon...),
		oneOf: []string{"queueName", "topicName"},
	},
	"io.kestra.plugin.azure.servicebus.RealTimeTrigger": {props: serviceBusCommon, oneOf: []string{"queueName", "topicName"}},
	"io.kestra.plugin.azure.eventhubs.Trigger": {
		props:    append([]string{"interval", "maxBatchSizePerPartition", "maxWaitTimePerPartition", "maxDuration"}, eventHubsCommon...),
		required: []string{"eventHubName"},
	},
	"io.kestra.plugin.azure.eventhubs.RealtimeTrigger": {props: eventHubsCommon, required: []string{"eventHubName"}},
}

// notPortable names constructs that exist but fail to parse on 1.3 or on
// 2.0, with the reason; they are reported wherever they appear as a key.
var notPortable = map[string]string{
	"pluginDefaults":     "removed in Kestra 2.0: repeat the values on each task",
	"taskDefaults":       "removed in Kestra 2.0: repeat the values on each task",
	"listeners":          "removed in Kestra 2.0",
	"afterExecution":     "not in the portable subset",
	"checks":             "not portable: its condition is renamed when in Kestra 2.0",
	"sla":                "beta, not in the portable subset",
	"extend":             "blueprint catalogue block: keep it out of deployable flows",
	"workerGroup":        "removed in Kestra 2.0 (workerSelector there, absent in 1.3)",
	"workerSelector":     "Kestra 2.0 only",
	"runIf":              "not in the portable subset (renamed when in Kestra 2.0)",
	"when":               "Kestra 2.0 only",
	"conditions":         "trigger conditions are removed in Kestra 2.0",
	"preconditions":      "removed in Kestra 2.0",
	"dependsOn":          "Kestra 2.0 Flow-trigger syntax, absent in 1.3",
	"window":             "Kestra 2.0 Flow-trigger syntax, absent in 1.3",
	"backfill":           "Schedule backfill is removed in Kestra 2.0",
	"scheduleConditions": "removed in Kestra 2.0",
	"executionContext":   "absent in Kestra 1.3, and writes SECRET inputs in clear",
	"runner":             "deprecated script property: use taskRunner",
	"docker":             "deprecated script property: use taskRunner and containerImage",
	"warningOnStdErr":    "deprecated script property: the exit code decides",
	"outputDirectory":    "deprecated script property: use outputFiles",
	"maxAttempt":         "Kestra 2.0 accepts only maxAttempts (1.3 accepts both spellings)",
}

// notPortableTypes names task and trigger types to avoid, with the reason.
var notPortableTypes = map[string]string{
	"io.kestra.plugin.core.flow.ForEach":     "removed in Kestra 2.0",
	"io.kestra.plugin.core.flow.ForEachItem": "removed in Kestra 2.0",
	"io.kestra.plugin.core.flow.Loop":        "Kestra 2.0 only: Kestra 1.3.19 refuses the type",
	"io.kestra.plugin.core.trigger.Flow":     "no Flow trigger YAML parses on both 1.3 and 2.0",
}

var inputTypes = map[string][]string{
	"STRING": {"validator"}, "INT": {"min", "max"}, "FLOAT": {"min", "max"}, "SELECT": {"values"},
	"MULTISELECT": {"values"}, "BOOL": nil, "DATETIME": {"after", "before"}, "DATE": {"after", "before"},
	"TIME": {"after", "before"}, "DURATION": {"min", "max"}, "FILE": nil, "JSON": nil, "YAML": nil,
	"URI": nil, "SECRET": {"validator"}, "ARRAY": {"itemType"}, "EMAIL": nil,
}

var notPortableInputTypes = map[string]string{
	"BOOLEAN": "removed in Kestra 2.0: use BOOL (1.3 has both)",
	"ENUM":    "removed in Kestra 2.0: use SELECT",
}

var commonInputProps = []string{"id", "type", "description", "displayName", "required", "defaults", "dependsOn"}

var retryProps = map[string][]string{
	"constant":    {"interval"},
	"exponential": {"interval", "maxInterval", "delayFactor"},
	"random":      {"minInterval", "maxInterval"},
}

var commonRetryProps = []string{"type", "maxAttempts", "maxDuration", "warningOnRetry", "behavior"}

var reservedFlowIDs = []string{"pause", "resume", "force-run", "change-status", "kill", "executions",
	"search", "source", "disable", "enable"}

// knownTypos maps misspelled properties to the right ones, where edit
// distance alone would not find them.
var knownTypos = map[string]string{
	"secretAccessKey": "secretKeyId",
	"image":           "containerImage",
	"script":          "commands",
}

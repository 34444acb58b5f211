// Package kestraengine holds the real-engine flow suite: its tests run the
// pack's flows in Kestra 1.3.19's own executor and worker, in one JVM
// (kestra-check's Engine, with the Process task runner), against real
// OpenBao and PostgreSQL, and judge each execution from outside - the
// store's versions, logins to the server - and scan everything Kestra
// stored for it (task outputs, every log line) for secret values. A few
// executions run again in a second engine under Kestra's real Docker task
// runner, over podman's Docker-compatible API, with the pack's image
// (docker_test.go), and in Kestra 2.0.0's engine (kestra20_test.go, the
// fleet flow rotate-overdue included). The 1.3.19 engine runs as server
// type WORKER, so that Pebble's errorLogs() works as on a worker. The
// entry points start through Kestra's own trigger code (trigger_test.go,
// events_test.go). Kestra's
// engine is the authority on how a flow behaves; flowrun stays for what it
// cannot do here (faults injected between tasks).
//
// Test infrastructure only: nothing here is shipped.
package kestraengine

// Package peers holds the comparisons with peer tools: the official CRM
// SDKs driving the simulators (sdk/, run by sdk_test.go) and Splink on the
// benchmark seeds (splink/, run by splink/run.sh, never by go test).
// Nothing in the product imports it.
package peers

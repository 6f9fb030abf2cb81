// Command crmhub keeps HubSpot and Salesforce in agreement through a
// Parquet and DuckDB warehouse hub. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/crmhub/crmhub/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

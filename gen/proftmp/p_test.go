package proftmp

import (
	"testing"

	"github.com/crmhub/crmhub/gen"
)

func TestBig(t *testing.T) {
	gen.Generate(gen.Options{People: 1000000, Seed: 7})
}

// Package testlakes runs a test on each kind of lake a run may use. It is
// apart from testenv because lake's own tests import testenv.
package testlakes

import (
	"context"
	"testing"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/internal/testenv"
)

// Each runs fn as a subtest on a fresh local lake and on a fresh lake
// in an S3 bucket (testenv.S3), the two stores a run may use.
func Each(t *testing.T, fn func(t *testing.T, store lake.Store)) {
	t.Helper()
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (lake.Store, error)
	}{
		{"local", func(t *testing.T) (lake.Store, error) { return lake.OpenLocal(t.TempDir()) }},
		{"s3", func(t *testing.T) (lake.Store, error) {
			_, bucket := testenv.S3(t)
			return lake.Open(context.Background(), "s3://"+bucket+"/lake", t.TempDir())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, err := tc.open(t)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, store)
		})
	}
}

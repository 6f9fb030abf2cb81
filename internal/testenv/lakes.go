package testenv

import (
	"context"
	"testing"

	"github.com/crmhub/crmhub/internal/lake"
)

// EachLake runs fn as a subtest on a fresh local lake and on a fresh lake
// in an S3 bucket (S3 above), the two stores a run may use. The lake
// package's own tests cannot use it (testenv imports lake).
func EachLake(t *testing.T, fn func(t *testing.T, store lake.Store)) {
	t.Helper()
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (lake.Store, error)
	}{
		{"local", func(t *testing.T) (lake.Store, error) { return lake.OpenLocal(t.TempDir()) }},
		{"s3", func(t *testing.T) (lake.Store, error) {
			_, bucket := S3(t)
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

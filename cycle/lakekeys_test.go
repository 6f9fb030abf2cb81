package cycle

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
)

// TestPublishKeysStayUnderPublished: a run id that would climb out of
// published/RUN/ is refused before anything is written.
func TestPublishKeysStayUnderPublished(t *testing.T) {
	ctx := context.Background()
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../evil", "..", "a/../../b", ""} {
		if _, err := publish(ctx, store, id, map[string]string{}, time.Now(), nil); !errors.Is(err, lake.ErrBadKey) {
			t.Errorf("publish run %q: %v, want lake.ErrBadKey", id, err)
		}
	}
	keys, err := store.List(ctx, "")
	if err != nil || len(keys) > 0 {
		t.Errorf("lake after refused publishes: %v %v", keys, err)
	}
}

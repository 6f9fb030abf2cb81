package lake_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/internal/testenv"
)

// clock is a test clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLease(t *testing.T) {
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			s := st.open(t)
			clk := &clock{t: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)}
			const key = "runs/_lock.json"

			a, err := lake.AcquireLease(ctx, s, key, lake.LeaseInfo{Owner: "a", RunID: "run-a"}, time.Minute, clk.now)
			if err != nil {
				t.Fatalf("first acquire: %v", err)
			}
			_, err = lake.AcquireLease(ctx, s, key, lake.LeaseInfo{Owner: "b"}, time.Minute, clk.now)
			if !errors.Is(err, lake.ErrLocked) {
				t.Fatalf("second acquire while held: %v, want ErrLocked", err)
			}
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte("run-a")) {
				t.Errorf("locked error should name the holder's run: %v", err)
			}
			clk.add(50 * time.Second)
			if err := a.Renew(ctx); err != nil {
				t.Fatalf("renew: %v", err)
			}
			clk.add(50 * time.Second) // 100 s after acquire, 50 s after renew: still held
			if _, err := lake.AcquireLease(ctx, s, key, lake.LeaseInfo{Owner: "b"}, time.Minute, clk.now); !errors.Is(err, lake.ErrLocked) {
				t.Fatalf("acquire after renew: %v, want ErrLocked", err)
			}
			if err := a.Release(ctx); err != nil {
				t.Fatalf("release: %v", err)
			}
			b, err := lake.AcquireLease(ctx, s, key, lake.LeaseInfo{Owner: "b"}, time.Minute, clk.now)
			if err != nil {
				t.Fatalf("acquire after release: %v", err)
			}
			// b dies without releasing; after expiry c takes over and b's
			// renewal finds it has lost the lease
			clk.add(2 * time.Minute)
			c, err := lake.AcquireLease(ctx, s, key, lake.LeaseInfo{Owner: "c"}, time.Minute, clk.now)
			if err != nil {
				t.Fatalf("take over expired lease: %v", err)
			}
			if err := b.Renew(ctx); !errors.Is(err, lake.ErrLeaseLost) {
				t.Fatalf("renew of a lease taken over: %v, want ErrLeaseLost", err)
			}
			if err := b.Release(ctx); !errors.Is(err, lake.ErrLeaseLost) {
				t.Fatalf("release of a lease taken over: %v, want ErrLeaseLost", err)
			}
			if got := c.Info().Owner; got != "c" {
				t.Errorf("owner %q", got)
			}
		})
	}
}

// TestLeaseRace: many owners acquire at once; exactly one wins, on a fresh
// key and on an expired lease (takeover).
func TestLeaseRace(t *testing.T) {
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			s := st.open(t)
			clk := &clock{t: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)}
			for round, key := range []string{"fresh/_lock.json", "fresh/_lock.json"} {
				if round == 1 {
					clk.add(time.Hour) // the round-0 winner's lease has expired
				}
				var wins, locked atomic.Int32
				var wg sync.WaitGroup
				for i := range 12 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := lake.AcquireLease(ctx, s, key, lake.LeaseInfo{Owner: fmt.Sprintf("r%d-%d", round, i)}, time.Minute, clk.now)
						switch {
						case err == nil:
							wins.Add(1)
						case errors.Is(err, lake.ErrLocked), errors.Is(err, lake.ErrLeaseLost):
							locked.Add(1)
						default:
							t.Errorf("acquire: %v", err)
						}
					}()
				}
				wg.Wait()
				if wins.Load() != 1 || locked.Load() != 11 {
					t.Errorf("round %d: %d winners, %d refused; want exactly 1 winner", round, wins.Load(), locked.Load())
				}
			}
		})
	}
}

// TestVersitygwConditionalPut records that the S3 server the tests use
// honours If-None-Match and If-Match on PutObject, which the lease relies on.
func TestVersitygwConditionalPut(t *testing.T) {
	endpoint, bucket := testenv.S3(t)
	c := testenv.Client(endpoint)
	ctx := context.Background()
	put := func(body string, ifNone, ifMatch *string) (*s3.PutObjectOutput, error) {
		return c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("cond.json"),
			Body: bytes.NewReader([]byte(body)), IfNoneMatch: ifNone, IfMatch: ifMatch})
	}
	first, err := put("1", aws.String("*"), nil)
	if err != nil {
		t.Fatalf("create with If-None-Match: %v", err)
	}
	if _, err := put("2", aws.String("*"), nil); err == nil {
		t.Fatal("second If-None-Match: * put succeeded; the server ignores the condition")
	}
	if _, err := put("3", nil, aws.String(`"not-the-etag"`)); err == nil {
		t.Fatal("If-Match with a wrong ETag succeeded")
	}
	if _, err := put("4", nil, first.ETag); err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
}

package lake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ErrLocked is returned by AcquireLease while another owner holds a live
// lease; the message names the holder and when the lease expires.
var ErrLocked = errors.New("lake: locked")

// ErrLeaseLost is returned by Renew and Release when the lease object no
// longer is the one this owner wrote (it expired and someone took it over).
var ErrLeaseLost = errors.New("lake: lease lost")

// errPrecondition is a conditional write that found another version.
var errPrecondition = errors.New("lake: precondition failed")

// LeaseInfo is the content of a lease object.
type LeaseInfo struct {
	// Owner is unique per holder (a random id per process attempt).
	Owner      string    `json:"owner"`
	RunID      string    `json:"run_id,omitempty"`
	Host       string    `json:"host,omitempty"`
	PID        int       `json:"pid,omitempty"`
	AcquiredAt time.Time `json:"acquired_at"`
	RenewedAt  time.Time `json:"renewed_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Released   bool      `json:"released,omitempty"`
}

// Lease is a held lease: one object in the lake written only with
// conditional puts (S3 If-None-Match: * to create, If-Match: ETAG to renew,
// release or take over an expired lease), so two holders never both win.
// Every write is read back and checked (read-after-write verification).
type Lease struct {
	store conditionalStore
	key   string
	info  LeaseInfo
	etag  string
	ttl   time.Duration
	now   func() time.Time
}

// conditionalStore is a Store that can compare-and-swap one object.
type conditionalStore interface {
	// getTagged returns the object and its version tag.
	getTagged(ctx context.Context, key string) ([]byte, string, error)
	// putConditional writes body when the object's tag is ifMatch, or,
	// with ifMatch "", when the object does not exist; it returns the new
	// tag, or errPrecondition.
	putConditional(ctx context.Context, key string, body []byte, ifMatch string) (string, error)
}

// AcquireLease takes the lease at key for ttl, or returns ErrLocked while
// another owner's lease is live. An expired or released lease is taken over.
func AcquireLease(ctx context.Context, s Store, key string, info LeaseInfo, ttl time.Duration, now func() time.Time) (*Lease, error) {
	cs, ok := s.(conditionalStore)
	if !ok {
		return nil, fmt.Errorf("lake: %s does not support leases", s)
	}
	if now == nil {
		now = time.Now
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("lake: lease ttl must be positive")
	}
	l := &Lease{store: cs, key: key, info: info, ttl: ttl, now: now}
	t := now().UTC()
	l.info.AcquiredAt, l.info.RenewedAt, l.info.ExpiresAt, l.info.Released = t, t, t.Add(ttl), false

	old, tag, err := cs.getTagged(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		tag = ""
	case err != nil:
		return nil, err
	default:
		var held LeaseInfo
		if jerr := json.Unmarshal(old, &held); jerr == nil && !held.Released && held.ExpiresAt.After(t) {
			return nil, lockedError(key, held)
		}
		// expired, released or unreadable: take it over, conditional on
		// the version we read
	}
	if err := l.write(ctx, tag); err != nil {
		if errors.Is(err, errPrecondition) {
			// someone else won the race between our read and write
			if b, _, gerr := cs.getTagged(ctx, key); gerr == nil {
				var held LeaseInfo
				if json.Unmarshal(b, &held) == nil {
					return nil, lockedError(key, held)
				}
			}
			return nil, fmt.Errorf("%w: %s: taken by another owner", ErrLocked, key)
		}
		return nil, err
	}
	return l, nil
}

func lockedError(key string, held LeaseInfo) error {
	return fmt.Errorf("%w: %s is held by %s (run %s, host %s, pid %d) until %s", ErrLocked, key,
		held.Owner, held.RunID, held.Host, held.PID, held.ExpiresAt.Format(time.RFC3339))
}

// write puts the lease conditionally and reads it back.
func (l *Lease) write(ctx context.Context, ifMatch string) error {
	body, err := json.MarshalIndent(l.info, "", "  ")
	if err != nil {
		return err
	}
	tag, err := l.store.putConditional(ctx, l.key, body, ifMatch)
	if errors.Is(err, errPrecondition) {
		// The SDK retries a put whose answer was lost (timeout, reset,
		// 5xx); when the first attempt landed, the retry finds our own
		// write and fails its condition. The object being exactly ours
		// means the write succeeded.
		if got, gotTag, gerr := l.store.getTagged(ctx, l.key); gerr == nil && l.isOurs(got) {
			l.etag = gotTag
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	// read-after-write verification: the object must be ours
	got, gotTag, err := l.store.getTagged(ctx, l.key)
	if err != nil {
		return fmt.Errorf("lake: verify lease %s: %w", l.key, err)
	}
	if !l.isOurs(got) {
		var back LeaseInfo
		_ = json.Unmarshal(got, &back)
		return fmt.Errorf("%w: %s was overwritten by %s", ErrLeaseLost, l.key, back.Owner)
	}
	if tag == "" {
		tag = gotTag
	}
	l.etag = tag
	return nil
}

// isOurs reports whether b is the lease as this owner last wrote it (owners
// are unique per holder, and each write moves ExpiresAt or Released).
func (l *Lease) isOurs(b []byte) bool {
	var back LeaseInfo
	return json.Unmarshal(b, &back) == nil && back.Owner == l.info.Owner &&
		back.ExpiresAt.Equal(l.info.ExpiresAt) && back.Released == l.info.Released
}

// Info returns the lease as last written.
func (l *Lease) Info() LeaseInfo { return l.info }

// Key is the lease object's key.
func (l *Lease) Key() string { return l.key }

// Renew extends the lease by its ttl from now.
func (l *Lease) Renew(ctx context.Context) error {
	prev := l.info
	t := l.now().UTC()
	l.info.RenewedAt, l.info.ExpiresAt = t, t.Add(l.ttl)
	if err := l.write(ctx, l.etag); err != nil {
		l.info = prev
		if errors.Is(err, errPrecondition) {
			return fmt.Errorf("%w: %s changed since our last write", ErrLeaseLost, l.key)
		}
		return err
	}
	return nil
}

// Release marks the lease released so the next owner takes it at once.
func (l *Lease) Release(ctx context.Context) error {
	l.info.Released = true
	l.info.ExpiresAt = l.now().UTC()
	if err := l.write(ctx, l.etag); err != nil {
		if errors.Is(err, errPrecondition) {
			return fmt.Errorf("%w: %s changed since our last write", ErrLeaseLost, l.key)
		}
		return err
	}
	return nil
}

// KeepAlive renews the lease every ttl/3 until ctx ends; when a renewal
// fails it calls lost and stops (the caller cancels its work).
func (l *Lease) KeepAlive(ctx context.Context, lost func(error)) {
	tick := time.NewTicker(max(l.ttl/3, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := l.Renew(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				lost(err)
				return
			}
		}
	}
}

// --- S3: conditional PutObject (If-None-Match / If-Match) ---

// getTagged reads the lease object and its ETag. The read asks for the
// object's checksum (ChecksumMode ENABLED, whatever the SDK's
// response-checksum setting) so the SDK checks that body and checksum
// belong together: some S3-compatible servers answer a GET made while the
// object is being replaced with the new metadata and the old data (Versity
// Gateway with sidecar metadata stores the checksum and ETag before it links
// the new data, and GetObject reads them without the writer's lock). A body
// that fails that check, or any other error while reading the body, is a
// torn or broken read of a small object: read again, a few times, with a
// short jittered backoff. Without the check such a read could pair the new
// ETag with the old, expired lease, and a conditional put on that ETag
// would take over a live lease.
func (s *S3) getTagged(ctx context.Context, key string) ([]byte, string, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return nil, "", err
	}
	var lastErr error
	for attempt := range tornReadAttempts {
		if attempt > 0 {
			if err := sleepCtx(ctx, tornReadBackoff(attempt)); err != nil {
				return nil, "", fmt.Errorf("lake: get %s: %w (after %v)", s.describe(k), err, lastErr)
			}
		}
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k,
			ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			var nsk *types.NoSuchKey
			if errors.As(err, &nsk) {
				return nil, "", fmt.Errorf("%w: %s", ErrNotFound, s.describe(k))
			}
			return nil, "", fmt.Errorf("lake: get %s: %w", s.describe(k), err)
		}
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err == nil {
			return b, aws.ToString(out.ETag), nil
		}
		if ctx.Err() != nil {
			return nil, "", fmt.Errorf("lake: get %s: %w", s.describe(k), err)
		}
		lastErr = err
	}
	return nil, "", fmt.Errorf("lake: get %s: body unreadable after %d attempts: %w", s.describe(k), tornReadAttempts, lastErr)
}

// tornReadAttempts bounds the reads of one lease object (up to about 2.5 s
// of backoff in all); a torn read lasts as long as one put's commit.
const tornReadAttempts = 16

// tornReadBackoff is 2 ms doubling up to 250 ms, with up to 50 % jitter so
// racing readers do not retry in step.
func tornReadBackoff(attempt int) time.Duration {
	d := min(2*time.Millisecond<<(attempt-1), 250*time.Millisecond)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *S3) putConditional(ctx context.Context, key string, body []byte, ifMatch string) (string, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return "", err
	}
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &k, Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/json")}
	if ifMatch == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(ifMatch)
	}
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		var re *awshttp.ResponseError
		// 412 Precondition Failed; 409 ConditionalRequestConflict when
		// two conditional writes race
		if errors.As(err, &re) && (re.HTTPStatusCode() == 412 || re.HTTPStatusCode() == 409) {
			return "", errPrecondition
		}
		return "", fmt.Errorf("lake: conditional put %s: %w", s.describe(k), err)
	}
	return aws.ToString(out.ETag), nil
}

// --- Local: compare-and-swap under flock(2) on a file beside the lake ---

func (l *Local) withFlock(fn func() error) error {
	// ".tmp-" names are hidden from List
	f, err := os.OpenFile(filepath.Join(l.root, ".tmp-lease.flock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lake: flock: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck
	return fn()
}

func localTag(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func (l *Local) getTagged(ctx context.Context, key string) ([]byte, string, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, "", err
	}
	return b, localTag(b), nil
}

func (l *Local) putConditional(ctx context.Context, key string, body []byte, ifMatch string) (string, error) {
	err := l.withFlock(func() error {
		_, tag, err := l.getTagged(ctx, key)
		switch {
		case errors.Is(err, ErrNotFound):
			if ifMatch != "" {
				return errPrecondition
			}
		case err != nil:
			return err
		case ifMatch == "" || tag != ifMatch:
			return errPrecondition
		}
		return l.Put(ctx, key, bytes.NewReader(body))
	})
	if err != nil {
		return "", err
	}
	return localTag(body), nil
}

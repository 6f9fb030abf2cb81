// Package lake stores crmhub's files: raw landings, manifests, state and
// published tables, in a local folder or an S3 bucket. Writers see whole
// objects appear at once (temp file + rename locally, a single PUT on S3),
// so a killed run never leaves a half-written file under a real key.
package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// ErrNotFound is returned by Get and LocalPath for a key that does not exist.
var ErrNotFound = errors.New("lake: not found")

// ErrBadKey is returned for a key that would escape the lake's prefix.
var ErrBadKey = errors.New("lake: bad key")

// Store is a flat key space of immutable-ish objects ("raw/hubspot/contacts/x.parquet").
type Store interface {
	// Put stores the content of r under key, replacing what was there.
	Put(ctx context.Context, key string, r io.Reader) error
	// PutFile stores a local file under key; the local file may be moved.
	PutFile(ctx context.Context, key, localPath string) error
	// Get opens the object at key.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// List returns every key under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// LocalPath returns a local file holding key's content, for DuckDB to read.
	LocalPath(ctx context.Context, key string) (string, error)
	// String names the store for logs ("./lake", "s3://bucket/prefix").
	String() string
}

// Open returns the store for location: "s3://bucket/prefix" selects S3
// (standard AWS environment), anything else is a local folder. cacheDir
// holds local copies of S3 objects for DuckDB.
func Open(ctx context.Context, location, cacheDir string) (Store, error) {
	if strings.HasPrefix(location, "s3://") {
		return OpenS3(ctx, location, cacheDir)
	}
	if location == "" {
		return nil, fmt.Errorf("lake: empty location")
	}
	return OpenLocal(location)
}

// cleanKey rejects keys that are absolute or climb out of the lake, since
// keys are sometimes built from record data.
func cleanKey(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || strings.ContainsRune(key, 0) {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	c := path.Clean(key)
	if c == ".." || strings.HasPrefix(c, "../") || c == "." {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return c, nil
}

// Segment checks one part of a key built from names or data (a system,
// object, run id or table): it must be a single path segment, so the key
// stays under the prefix it is joined to.
func Segment(s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\\x00") {
		return fmt.Errorf("%w: segment %q", ErrBadKey, s)
	}
	return nil
}

// checkPrefix rejects List prefixes that are absolute or climb out of the
// lake: on S3 a prefix such as "../other/" would otherwise be sent as is.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "\\") || strings.ContainsRune(prefix, 0) {
		return fmt.Errorf("%w: prefix %q", ErrBadKey, prefix)
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == ".." {
			return fmt.Errorf("%w: prefix %q", ErrBadKey, prefix)
		}
	}
	return nil
}

// ReadAll reads the whole object at key.
func ReadAll(ctx context.Context, s Store, key string) ([]byte, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// ReadJSONs decodes every .json object under prefix, in key order (run ids
// sort by time, so oldest first); an object that does not decode is an
// error naming its key. Manifests and snapshot descriptors are read so.
func ReadJSONs[T any](ctx context.Context, s Store, prefix string) ([]T, error) {
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, k := range keys {
		if !strings.HasSuffix(k, ".json") {
			continue
		}
		b, err := ReadAll(ctx, s, k)
		if err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out = append(out, v)
	}
	return out, nil
}

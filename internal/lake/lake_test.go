package lake_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/internal/testenv"
)

type storeCase struct {
	name string
	open func(t *testing.T) lake.Store
}

// stores opens each Store implementation on a fresh location.
func stores() []storeCase {
	return []storeCase{
		{"local", func(t *testing.T) lake.Store {
			s, err := lake.Open(context.Background(), filepath.Join(t.TempDir(), "lake"), "")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"s3", func(t *testing.T) lake.Store {
			_, bucket := testenv.S3(t)
			s, err := lake.Open(context.Background(), "s3://"+bucket+"/runs/p1", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
}

func put(t *testing.T, s lake.Store, key, body string) {
	t.Helper()
	if err := s.Put(context.Background(), key, strings.NewReader(body)); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func TestStoreBehaviour(t *testing.T) {
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			s := st.open(t)

			keys := []string{"raw/hubspot/contacts/b.parquet", "raw/hubspot/contacts/a.parquet",
				"raw/hubspot/companies/x.parquet", "raw/salesforce/Contact/1.parquet", "published/_latest.json", "rawish.txt"}
			for _, k := range keys {
				put(t, s, k, "content of "+k)
			}
			put(t, s, "published/_latest.json", "replaced") // Put replaces

			t.Run("Get", func(t *testing.T) {
				for _, tc := range []struct{ key, want string }{
					{"raw/hubspot/contacts/a.parquet", "content of raw/hubspot/contacts/a.parquet"},
					{"published/_latest.json", "replaced"},
					{"./raw/hubspot/companies/x.parquet", "content of raw/hubspot/companies/x.parquet"},
				} {
					b, err := lake.ReadAll(ctx, s, tc.key)
					if err != nil || string(b) != tc.want {
						t.Errorf("Get(%q) = %q, %v; want %q", tc.key, b, err, tc.want)
					}
				}
			})

			t.Run("List", func(t *testing.T) {
				for _, tc := range []struct {
					prefix string
					want   []string
				}{
					{"raw/hubspot/contacts/", []string{"raw/hubspot/contacts/a.parquet", "raw/hubspot/contacts/b.parquet"}},
					{"raw/hubspot/", []string{"raw/hubspot/companies/x.parquet", "raw/hubspot/contacts/a.parquet", "raw/hubspot/contacts/b.parquet"}},
					{"raw/hubspot/co", []string{"raw/hubspot/companies/x.parquet", "raw/hubspot/contacts/a.parquet", "raw/hubspot/contacts/b.parquet"}},
					{"raw/hubspot/contacts/a", []string{"raw/hubspot/contacts/a.parquet"}},
					{"raw", []string{"raw/hubspot/companies/x.parquet", "raw/hubspot/contacts/a.parquet", "raw/hubspot/contacts/b.parquet", "raw/salesforce/Contact/1.parquet", "rawish.txt"}},
					{"", []string{"published/_latest.json", "raw/hubspot/companies/x.parquet", "raw/hubspot/contacts/a.parquet", "raw/hubspot/contacts/b.parquet", "raw/salesforce/Contact/1.parquet", "rawish.txt"}},
					{"nothing/here/", nil},
					{"raw/hubspot/deals/", nil},
				} {
					got, err := s.List(ctx, tc.prefix)
					if err != nil {
						t.Fatalf("List(%q): %v", tc.prefix, err)
					}
					if !slices.Equal(got, tc.want) {
						t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
					}
				}
			})

			t.Run("NotFound", func(t *testing.T) {
				for _, key := range []string{"raw/none.parquet", "missing/deep/key"} {
					if _, err := s.Get(ctx, key); !errors.Is(err, lake.ErrNotFound) {
						t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
					}
					if _, err := s.LocalPath(ctx, key); !errors.Is(err, lake.ErrNotFound) {
						t.Errorf("LocalPath(%q) error = %v, want ErrNotFound", key, err)
					}
				}
			})

			t.Run("BadKey", func(t *testing.T) {
				for _, key := range []string{"../x", "/abs", "a/../../b", "..", ".", "", `a\b`, "a/..", "x/../../../etc/passwd"} {
					if err := s.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, lake.ErrBadKey) {
						t.Errorf("Put(%q) error = %v, want ErrBadKey", key, err)
					}
					if _, err := s.Get(ctx, key); !errors.Is(err, lake.ErrBadKey) {
						t.Errorf("Get(%q) error = %v, want ErrBadKey", key, err)
					}
					if err := s.Delete(ctx, key); !errors.Is(err, lake.ErrBadKey) {
						t.Errorf("Delete(%q) error = %v, want ErrBadKey", key, err)
					}
					if _, err := s.LocalPath(ctx, key); !errors.Is(err, lake.ErrBadKey) {
						t.Errorf("LocalPath(%q) error = %v, want ErrBadKey", key, err)
					}
					src := filepath.Join(t.TempDir(), "f")
					if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
						t.Fatal(err)
					}
					if err := s.PutFile(ctx, key, src); !errors.Is(err, lake.ErrBadKey) {
						t.Errorf("PutFile(%q) error = %v, want ErrBadKey", key, err)
					}
				}
				for _, prefix := range []string{"../", "../p2/", "/abs/", "a/../../"} {
					if _, err := s.List(ctx, prefix); !errors.Is(err, lake.ErrBadKey) {
						t.Errorf("List(%q) error = %v, want ErrBadKey", prefix, err)
					}
				}
			})

			t.Run("LocalPath", func(t *testing.T) {
				p, err := s.LocalPath(ctx, "raw/hubspot/contacts/b.parquet")
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(p)
				if err != nil || string(b) != "content of raw/hubspot/contacts/b.parquet" {
					t.Fatalf("LocalPath file holds %q, %v", b, err)
				}
				put(t, s, "raw/hubspot/contacts/b.parquet", "new version")
				p, err = s.LocalPath(ctx, "raw/hubspot/contacts/b.parquet")
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := os.ReadFile(p); string(b) != "new version" {
					t.Fatalf("LocalPath after replace holds %q, want the new version", b)
				}
			})

			t.Run("PutFile", func(t *testing.T) {
				src := filepath.Join(t.TempDir(), "upload.parquet")
				body := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB
				if err := os.WriteFile(src, body, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := s.PutFile(ctx, "published/run1/xref.parquet", src); err != nil {
					t.Fatal(err)
				}
				got, err := lake.ReadAll(ctx, s, "published/run1/xref.parquet")
				if err != nil || !bytes.Equal(got, body) {
					t.Fatalf("after PutFile Get = %d bytes, %v; want %d bytes", len(got), err, len(body))
				}
			})

			t.Run("Delete", func(t *testing.T) {
				if err := s.Delete(ctx, "raw/hubspot/contacts/a.parquet"); err != nil {
					t.Fatal(err)
				}
				if err := s.Delete(ctx, "raw/hubspot/contacts/a.parquet"); err != nil {
					t.Fatalf("deleting a missing key: %v", err)
				}
				if _, err := s.Get(ctx, "raw/hubspot/contacts/a.parquet"); !errors.Is(err, lake.ErrNotFound) {
					t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
				}
				got, err := s.List(ctx, "raw/hubspot/contacts/")
				if err != nil || !slices.Equal(got, []string{"raw/hubspot/contacts/b.parquet"}) {
					t.Fatalf("List after Delete = %q, %v", got, err)
				}
			})

			t.Run("FailedPutKeepsOldContent", func(t *testing.T) {
				put(t, s, "state/cursor.json", "old")
				r := io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(errors.New("disk on fire")))
				if err := s.Put(ctx, "state/cursor.json", r); err == nil {
					t.Fatal("Put with a failing reader succeeded")
				}
				if b, err := lake.ReadAll(ctx, s, "state/cursor.json"); err != nil || string(b) != "old" {
					t.Fatalf("after failed Put: %q, %v; want the old content", b, err)
				}
				got, err := s.List(ctx, "state/")
				if err != nil || !slices.Equal(got, []string{"state/cursor.json"}) {
					t.Fatalf("List after failed Put = %q, %v", got, err)
				}
			})
		})
	}
}

// TestLocalPutAtomic checks that a local Put writes through a hidden
// temporary file: List never reports it, and no temporary survives a
// failed Put.
func TestLocalPutAtomic(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := lake.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A Put in progress: the reader blocks until we have looked.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.Put(ctx, "raw/x.parquet", pr) }()
	if _, err := pw.Write([]byte("first half ")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "raw"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), ".tmp-") {
		t.Fatalf("during Put the folder holds %v, want one .tmp- file", entries)
	}
	if got, err := s.List(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("List during Put = %q, %v; want nothing", got, err)
	}
	if _, err := s.Get(ctx, "raw/x.parquet"); !errors.Is(err, lake.ErrNotFound) {
		t.Fatalf("Get during Put: %v, want ErrNotFound", err)
	}
	pw.Write([]byte("second half"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b, _ := lake.ReadAll(ctx, s, "raw/x.parquet"); string(b) != "first half second half" {
		t.Fatalf("after Put: %q", b)
	}

	// Failures leave no temporary behind: a broken reader, and a key whose
	// path is taken by a folder.
	for _, tc := range []struct {
		name string
		key  string
		r    io.Reader
	}{
		{"reader fails", "raw/y.parquet", iotest.ErrReader(errors.New("boom"))},
		{"folder in the way", "raw", strings.NewReader("x")},
	} {
		if err := s.Put(ctx, tc.key, tc.r); err == nil {
			t.Errorf("%s: Put succeeded", tc.name)
		}
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLocalPutFileMovesFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := lake.OpenLocal(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "out.parquet")
	if err := os.WriteFile(src, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFile(ctx, "published/r1/t.parquet", src); err != nil {
		t.Fatal(err)
	}
	p, err := s.LocalPath(ctx, "published/r1/t.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "lake", "published", "r1", "t.parquet"); p != want {
		t.Fatalf("LocalPath = %s, want %s", p, want)
	}
	if b, _ := os.ReadFile(p); string(b) != "data" {
		t.Fatalf("content %q", b)
	}
}

// TestS3PrefixIsolation checks that stores on two prefixes of one bucket
// never see each other's keys, including a prefix that extends the other.
func TestS3PrefixIsolation(t *testing.T) {
	ctx := context.Background()
	_, bucket := testenv.S3(t)
	open := func(loc string) lake.Store {
		s, err := lake.Open(ctx, loc, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	p1, p2, p10 := open("s3://"+bucket+"/p1"), open("s3://"+bucket+"/p2/"), open("s3://"+bucket+"/p10")
	root := open("s3://" + bucket)
	put(t, p1, "raw/a.parquet", "one")
	put(t, p2, "raw/a.parquet", "two")
	put(t, p2, "raw/b.parquet", "two-b")
	put(t, p10, "raw/c.parquet", "ten")

	for _, tc := range []struct {
		name  string
		s     lake.Store
		str   string
		list  []string
		a     string
		b     error
		bKey  string
		bWant string
	}{
		{name: "p1", s: p1, str: "s3://" + bucket + "/p1", list: []string{"raw/a.parquet"}, a: "one", b: lake.ErrNotFound},
		{name: "p2", s: p2, str: "s3://" + bucket + "/p2", list: []string{"raw/a.parquet", "raw/b.parquet"}, a: "two", bWant: "two-b"},
		{name: "p10", s: p10, str: "s3://" + bucket + "/p10", list: []string{"raw/c.parquet"}, b: lake.ErrNotFound},
		{name: "bucket root", s: root, str: "s3://" + bucket, list: []string{"p1/raw/a.parquet", "p10/raw/c.parquet", "p2/raw/a.parquet", "p2/raw/b.parquet"}, b: lake.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			for _, prefix := range []string{"", "raw/"} {
				got, err := tc.s.List(ctx, prefix)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.list
				if prefix != "" {
					want = slices.DeleteFunc(slices.Clone(want), func(k string) bool { return !strings.HasPrefix(k, prefix) })
					if len(want) == 0 {
						want = nil
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("List(%q) = %q, want %q", prefix, got, want)
				}
			}
			b, err := lake.ReadAll(ctx, tc.s, "raw/a.parquet")
			if tc.a == "" {
				if !errors.Is(err, lake.ErrNotFound) {
					t.Errorf("Get(raw/a.parquet) = %q, %v; want ErrNotFound", b, err)
				}
			} else if string(b) != tc.a {
				t.Errorf("Get(raw/a.parquet) = %q, %v; want %q", b, err, tc.a)
			}
			b, err = lake.ReadAll(ctx, tc.s, "raw/b.parquet")
			if tc.b != nil {
				if !errors.Is(err, tc.b) {
					t.Errorf("Get(raw/b.parquet) = %q, %v; want %v", b, err, tc.b)
				}
			} else if string(b) != tc.bWant {
				t.Errorf("Get(raw/b.parquet) = %q, %v; want %q", b, err, tc.bWant)
			}
		})
	}
	// Deleting in p1 leaves p2's object of the same key alone.
	if err := p1.Delete(ctx, "raw/a.parquet"); err != nil {
		t.Fatal(err)
	}
	if b, err := lake.ReadAll(ctx, p2, "raw/a.parquet"); err != nil || string(b) != "two" {
		t.Fatalf("p2 after p1's Delete: %q, %v", b, err)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		location string
		wantErr  bool
	}{
		{"", true},
		{"s3://", true},
		{"s3:///prefix", true},
		{"s3://bucket/../other", true},
		{"s3://bucket/a/../../other/", true},
	} {
		if _, err := lake.Open(ctx, tc.location, t.TempDir()); (err != nil) != tc.wantErr {
			t.Errorf("Open(%q) error = %v, want error %v", tc.location, err, tc.wantErr)
		}
	}
}

// TestReadJSONs: every .json object under the prefix decodes, in key order;
// other objects are skipped; one that does not decode names its key.
func TestReadJSONs(t *testing.T) {
	ctx := context.Background()
	for _, sc := range stores() {
		t.Run(sc.name, func(t *testing.T) {
			s := sc.open(t)
			type doc struct{ Run string }
			put(t, s, "m/_manifests/r2.json", `{"Run":"r2"}`)
			put(t, s, "m/_manifests/r1.json", `{"Run":"r1"}`)
			put(t, s, "m/_manifests/r1.parquet", `not json`)
			put(t, s, "other/r0.json", `{"Run":"r0"}`)
			got, err := lake.ReadJSONs[doc](ctx, s, "m/_manifests/")
			if err != nil {
				t.Fatal(err)
			}
			if want := []doc{{"r1"}, {"r2"}}; !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			put(t, s, "m/_manifests/r3.json", `{"Run":`)
			if _, err := lake.ReadJSONs[doc](ctx, s, "m/_manifests/"); err == nil || !strings.Contains(err.Error(), "m/_manifests/r3.json") {
				t.Errorf("broken object: err %v, want one naming m/_manifests/r3.json", err)
			}
		})
	}
}

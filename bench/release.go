package bench

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/crmhub/crmhub/extract"
)

// releaseAfterRead wraps the generated data's sources so that, once every
// one of them has been read in full, they drop their records: the
// generated dataset (gigabytes at a million people) then leaves the Go heap
// before the transform, which measures DuckDB, starts.
func releaseAfterRead(srcs []extract.Source) []extract.Source {
	r := &releaser{srcs: srcs, left: len(srcs)}
	out := make([]extract.Source, len(srcs))
	for i, s := range srcs {
		out[i] = &releasingSource{r: r, i: i, sys: s.System(), obj: s.Object()}
	}
	return out
}

type releaser struct {
	mu   sync.Mutex
	srcs []extract.Source
	left int
}

func (r *releaser) get(i int) (extract.Source, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srcs[i] == nil {
		return nil, errReleased
	}
	return r.srcs[i], nil
}

var errReleased = errors.New("bench: generated source read again after every source was read and released")

func (r *releaser) done() {
	r.mu.Lock()
	r.left--
	last := r.left == 0
	if last {
		clear(r.srcs)
	}
	r.mu.Unlock()
	if last {
		runtime.GC()
		debug.FreeOSMemory()
	}
}

type releasingSource struct {
	r        *releaser
	i        int
	sys, obj string
}

func (s *releasingSource) System() string { return s.sys }
func (s *releasingSource) Object() string { return s.obj }

func (s *releasingSource) Schema(ctx context.Context) ([]extract.Column, error) {
	src, err := s.r.get(s.i)
	if err != nil {
		return nil, err
	}
	return src.Schema(ctx)
}

func (s *releasingSource) ReadAll(ctx context.Context, cols []extract.Column, out extract.Sink) error {
	src, err := s.r.get(s.i)
	if err != nil {
		return err
	}
	err = src.ReadAll(ctx, cols, out)
	s.r.done()
	return err
}

func (s *releasingSource) ReadSince(ctx context.Context, cols []extract.Column, since time.Time, out extract.Sink) error {
	src, err := s.r.get(s.i)
	if err != nil {
		return err
	}
	err = src.ReadSince(ctx, cols, since, out)
	s.r.done()
	return err
}

// ReleaseAfterRead is releaseAfterRead for other measuring commands
// (peers/crmhubscore): a seed read from files leaves the Go heap once
// extracted, as the product's streaming extract never holds it.
func ReleaseAfterRead(srcs []extract.Source) []extract.Source { return releaseAfterRead(srcs) }

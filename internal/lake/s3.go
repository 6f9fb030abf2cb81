package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3 is a Store in an S3 bucket under a prefix. DuckDB cannot reach S3 here
// (no httpfs), so LocalPath downloads objects into a cache folder.
type S3 struct {
	client   *s3.Client
	uploader *manager.Uploader
	bucket   string
	prefix   string
	cacheDir string
}

// OpenS3 opens "s3://bucket/prefix" with the standard AWS environment
// (AWS_ENDPOINT_URL_S3, credentials, region). Path-style addressing is used
// when a custom endpoint is set, as S3-compatible servers expect.
func OpenS3(ctx context.Context, location, cacheDir string) (*S3, error) {
	rest := strings.TrimPrefix(location, "s3://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return nil, fmt.Errorf("lake: %q names no bucket", location)
	}
	if err := checkPrefix(strings.Trim(prefix, "/")); err != nil {
		return nil, fmt.Errorf("lake: %q: %w", location, err)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("lake: aws config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = custom })
	if cacheDir == "" {
		cacheDir = filepath.Join(os.TempDir(), "crmhub-cache")
	}
	return &S3{
		client:   client,
		uploader: manager.NewUploader(client),
		bucket:   bucket,
		prefix:   strings.Trim(prefix, "/"),
		cacheDir: cacheDir,
	}, nil
}

func (s *S3) String() string { return "s3://" + path.Join(s.bucket, s.prefix) }

func (s *S3) objectKey(key string) (string, error) {
	k, err := cleanKey(key)
	if err != nil {
		return "", err
	}
	if s.prefix == "" {
		return k, nil
	}
	return s.prefix + "/" + k, nil
}

func (s *S3) Put(ctx context.Context, key string, r io.Reader) error {
	k, err := s.objectKey(key)
	if err != nil {
		return err
	}
	_, err = s.uploader.Upload(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &k, Body: r})
	if err != nil {
		return fmt.Errorf("lake: put %s: %w", s.describe(k), err)
	}
	return nil
}

func (s *S3) PutFile(ctx context.Context, key, localPath string) error {
	f, err := os.Open(localPath)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := s.Put(ctx, key, f); err != nil {
		return err
	}
	f.Close()
	return os.Remove(localPath)
}

func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, s.describe(k))
		}
		return nil, fmt.Errorf("lake: get %s: %w", s.describe(k), err)
	}
	return out.Body, nil
}

func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	full := prefix
	if s.prefix != "" {
		full = s.prefix + "/" + prefix
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &full})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("lake: list %s: %w", s.describe(full), err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if s.prefix != "" {
				k = strings.TrimPrefix(k, s.prefix+"/")
			}
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *S3) Delete(ctx context.Context, key string) error {
	k, err := s.objectKey(key)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &k}); err != nil {
		return fmt.Errorf("lake: delete %s: %w", s.describe(k), err)
	}
	return nil
}

// LocalPath downloads key into the cache once. Lake files are written once
// under unique names (run ids), so a cached copy by key and ETag stays valid.
func (s *S3) LocalPath(ctx context.Context, key string) (string, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return "", err
	}
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		var nf *types.NotFound
		if errors.As(err, &nf) {
			return "", fmt.Errorf("%w: %s", ErrNotFound, s.describe(k))
		}
		return "", fmt.Errorf("lake: head %s: %w", s.describe(k), err)
	}
	sum := sha256.Sum256([]byte(s.bucket + "/" + k + "@" + aws.ToString(head.ETag)))
	local := filepath.Join(s.cacheDir, hex.EncodeToString(sum[:12])+path.Ext(k))
	if _, err := os.Stat(local); err == nil {
		return local, nil
	}
	if err := os.MkdirAll(s.cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(s.cacheDir, ".dl-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	dl := manager.NewDownloader(s.client)
	if _, err := dl.Download(ctx, tmp, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k}); err != nil {
		tmp.Close()
		return "", fmt.Errorf("lake: download %s: %w", s.describe(k), err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return local, os.Rename(tmp.Name(), local)
}

func (s *S3) describe(k string) string { return "s3://" + s.bucket + "/" + k }

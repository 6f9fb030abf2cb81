// Package testenv starts real services for tests: an S3 server (Versity
// Gateway) on a free local port, with the AWS environment pointing at it.
package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// VersitygwInstall is the command that installs the S3 server tests use.
const VersitygwInstall = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

const (
	accessKey = "crmhubtestaccess"
	secretKey = "crmhubtestsecret0123456789"
	region    = "us-east-1"
	bucket    = "crmhub-test"
)

// S3 starts a Versity Gateway on a free port of 127.0.0.1 over a fresh
// temporary folder, creates a bucket, points the standard AWS environment
// (AWS_ENDPOINT_URL_S3, credentials, region) at it for the rest of the test
// and stops the server when the test ends. It fails the test, with the
// install command, when versitygw is not installed.
func S3(t testing.TB) (endpoint, bucketName string) {
	t.Helper()
	bin, err := findVersitygw()
	if err != nil {
		t.Fatalf("testenv: %v; install it with: %s", err, VersitygwInstall)
	}
	root := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		endpoint, err := start(t, bin, root)
		if err != nil {
			lastErr = err
			continue
		}
		t.Setenv("AWS_ENDPOINT_URL_S3", endpoint)
		t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
		t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
		t.Setenv("AWS_REGION", region)
		// Keep the developer's profile and shared files out of the test.
		t.Setenv("AWS_PROFILE", "")
		t.Setenv("AWS_SESSION_TOKEN", "")
		t.Setenv("AWS_CONFIG_FILE", filepath.Join(root, "no-aws-config"))
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(root, "no-aws-credentials"))
		return endpoint, bucket
	}
	t.Fatalf("testenv: start versitygw: %v", lastErr)
	return "", ""
}

func findVersitygw() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found in PATH nor in $(go env GOPATH)/bin")
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs one server; a port taken between freePort and the server's
// listen makes the server exit, which start reports so S3 can retry.
func start(t testing.TB, bin, root string) (string, error) {
	addr, err := freePort()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(root, "gw-")
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	data, meta := filepath.Join(dir, "data"), filepath.Join(dir, "meta")
	cmd := exec.Command(bin, "--quiet", "--port", addr, "posix", "--sidecar", meta, data)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+accessKey, "ROOT_SECRET_KEY="+secretKey)
	cmd.Stdout = &out
	cmd.Stderr = &out
	for _, d := range []string{data, meta} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	endpoint := "http://" + addr
	client := Client(endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			exited <- werr
			return "", fmt.Errorf("versitygw exited (%v): %s", werr, out.String())
		case <-ctx.Done():
			stop()
			return "", fmt.Errorf("versitygw on %s did not answer within 15s: %v; output: %s", addr, err, out.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Cleanup(stop)
	return endpoint, nil
}

// Client returns an S3 client for the test server at endpoint (path style,
// the test credentials), for tests that inspect the bucket directly.
func Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		UsePathStyle: true,
	})
}

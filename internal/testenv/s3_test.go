package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestS3StartsServerWithBucket(t *testing.T) {
	endpoint, bucket := S3(t)
	if got := os.Getenv("AWS_ENDPOINT_URL_S3"); got != endpoint {
		t.Fatalf("AWS_ENDPOINT_URL_S3 = %q, want %q", got, endpoint)
	}
	out, err := Client(endpoint).HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err != nil || out == nil {
		t.Fatalf("head bucket %s: %v", bucket, err)
	}
}

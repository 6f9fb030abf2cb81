package salesforce

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ErrBulkJobFailed is returned when a Bulk API 2.0 job ends Failed or Aborted.
var ErrBulkJobFailed = errors.New("salesforce: bulk job failed")

// BulkJob is the Bulk API 2.0 job information crmhub uses.
type BulkJob struct {
	ID                     string `json:"id"`
	Operation              string `json:"operation"`
	Object                 string `json:"object"`
	State                  string `json:"state"`
	ExternalIDFieldName    string `json:"externalIdFieldName"`
	NumberRecordsProcessed int    `json:"numberRecordsProcessed"`
	NumberRecordsFailed    int    `json:"numberRecordsFailed"`
	ErrorMessage           string `json:"errorMessage"`
}

// CSVTable is a CSV answer: header row and data rows.
type CSVTable struct {
	Header []string
	Rows   [][]string
}

// BulkResult is the outcome of an ingest job. Successful rows start with
// sf__Id and sf__Created, failed rows with sf__Id and sf__Error, followed
// by the uploaded columns; Unprocessed holds rows never processed.
type BulkResult struct {
	Job         BulkJob
	Successful  CSVTable
	Failed      CSVTable
	Unprocessed CSVTable
}

var csvHeader = http.Header{"Content-Type": {"text/csv"}, "Accept": {"text/csv"}}

// BulkIngest runs a Bulk API 2.0 ingest job: create, upload data (CSV with
// a header row of field names), close, poll until done, fetch the results.
// operation is insert, update, upsert (with externalIDField) or delete. A
// job that ends Failed answers ErrBulkJobFailed along with its results.
func (c *Client) BulkIngest(ctx context.Context, object, operation, externalIDField string, data io.Reader) (*BulkResult, error) {
	if err := checkName("sObject", object); err != nil {
		return nil, err
	}
	payload, err := io.ReadAll(data)
	if err != nil {
		return nil, fmt.Errorf("bulk ingest %s: read data: %w", object, err)
	}
	spec := map[string]string{"object": object, "operation": operation, "contentType": "CSV", "lineEnding": "LF"}
	if externalIDField != "" {
		spec["externalIdFieldName"] = externalIDField
	}
	body, _ := json.Marshal(spec) // a map of strings always encodes
	var job BulkJob
	if err := c.callJSON(ctx, "bulk_ingest", http.MethodPost, c.dataPath("jobs", "ingest"), body, &job); err != nil {
		return nil, fmt.Errorf("bulk ingest %s: create job: %w", object, err)
	}
	base := c.dataPath("jobs", "ingest", job.ID)
	if _, err := c.callReply(ctx, "bulk_upload", http.MethodPut, base+"/batches", payload, csvHeader); err != nil {
		c.abort(ctx, base)
		return nil, fmt.Errorf("bulk ingest %s: upload: %w", object, err)
	}
	if err := c.callJSON(ctx, "bulk_ingest", http.MethodPatch, base, []byte(`{"state":"UploadComplete"}`), &job); err != nil {
		return nil, fmt.Errorf("bulk ingest %s: close job: %w", object, err)
	}
	if err := c.pollJob(ctx, base, &job); err != nil {
		return nil, fmt.Errorf("bulk ingest %s: %w", object, err)
	}
	res := &BulkResult{Job: job}
	for _, part := range []struct {
		name string
		dst  *CSVTable
	}{{"successfulResults", &res.Successful}, {"failedResults", &res.Failed}, {"unprocessedrecords", &res.Unprocessed}} {
		rep, err := c.callReply(ctx, "bulk_results", http.MethodGet, base+"/"+part.name, nil, csvHeader)
		if err != nil {
			return nil, fmt.Errorf("bulk ingest %s: %s: %w", object, part.name, err)
		}
		if *part.dst, err = parseCSV(rep.body); err != nil {
			return nil, fmt.Errorf("bulk ingest %s: %s: %w", object, part.name, err)
		}
	}
	if job.State != "JobComplete" {
		return res, fmt.Errorf("bulk ingest %s: job %s ended %s: %s: %w", object, job.ID, job.State, job.ErrorMessage, ErrBulkJobFailed)
	}
	return res, nil
}

// BulkQuery runs soql as a Bulk API 2.0 query job (queryAll when all) and
// calls fn with each set of CSV results, following Sforce-Locator.
func (c *Client) BulkQuery(ctx context.Context, soql string, all bool, fn func(header []string, rows [][]string) error) error {
	op := "query"
	if all {
		op = "queryAll"
	}
	body, _ := json.Marshal(map[string]string{"operation": op, "query": soql, "contentType": "CSV", "lineEnding": "LF"})
	var job BulkJob
	if err := c.callJSON(ctx, "bulk_query", http.MethodPost, c.dataPath("jobs", "query"), body, &job); err != nil {
		return fmt.Errorf("bulk query: create job: %w", err)
	}
	base := c.dataPath("jobs", "query", job.ID)
	if err := c.pollJob(ctx, base, &job); err != nil {
		return fmt.Errorf("bulk query: %w", err)
	}
	if job.State != "JobComplete" {
		return fmt.Errorf("bulk query: job %s ended %s: %s: %w", job.ID, job.State, job.ErrorMessage, ErrBulkJobFailed)
	}
	locator := ""
	for {
		q := url.Values{}
		if locator != "" {
			q.Set("locator", locator)
		}
		path := base + "/results"
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		rep, err := c.callReply(ctx, "bulk_query_results", http.MethodGet, path, nil, csvHeader)
		if err != nil {
			return fmt.Errorf("bulk query: results: %w", err)
		}
		tab, err := parseCSV(rep.body)
		if err != nil {
			return fmt.Errorf("bulk query: results: %w", err)
		}
		if n, err := strconv.Atoi(rep.header.Get("Sforce-NumberOfRecords")); err == nil && n != len(tab.Rows) {
			return fmt.Errorf("bulk query: results: %d rows but Sforce-NumberOfRecords %d", len(tab.Rows), n)
		}
		if len(tab.Rows) > 0 {
			if err := fn(tab.Header, tab.Rows); err != nil {
				return err
			}
		}
		locator = rep.header.Get("Sforce-Locator")
		if locator == "" || locator == "null" {
			return nil
		}
	}
}

// pollJob reads the job info until the job is JobComplete, Failed or Aborted.
func (c *Client) pollJob(ctx context.Context, path string, job *BulkJob) error {
	for {
		switch job.State {
		case "JobComplete", "Failed", "Aborted":
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.cfg.BulkPollInterval):
		}
		if err := c.callJSON(ctx, "bulk_job", http.MethodGet, path, nil, job); err != nil {
			return fmt.Errorf("poll job %s: %w", job.ID, err)
		}
	}
}

// abort aborts a job after a failed upload; errors are only logged.
func (c *Client) abort(ctx context.Context, path string) {
	if _, err := c.call(ctx, "bulk_ingest", http.MethodPatch, path, []byte(`{"state":"Aborted"}`), nil); err != nil {
		c.log.Warn("salesforce: abort bulk job", "error", err)
	}
}

func (c *Client) callJSON(ctx context.Context, kind, method, path string, body []byte, out any) error {
	raw, err := c.call(ctx, kind, method, path, body, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode %s answer: %w", kind, err)
	}
	return nil
}

func parseCSV(raw []byte) (CSVTable, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return CSVTable{}, nil
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return CSVTable{}, fmt.Errorf("parse CSV: %w", err)
	}
	return CSVTable{Header: recs[0], Rows: recs[1:]}, nil
}

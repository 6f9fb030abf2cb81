package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Updated is the answer of the sObject Get Updated resource.
type Updated struct {
	IDs               []string `json:"ids"`
	LatestDateCovered string   `json:"latestDateCovered"`
}

// DeletedRecord is one entry of the Get Deleted answer.
type DeletedRecord struct {
	ID          string `json:"id"`
	DeletedDate string `json:"deletedDate"`
}

// Deleted is the answer of the sObject Get Deleted resource.
type Deleted struct {
	DeletedRecords        []DeletedRecord `json:"deletedRecords"`
	EarliestDateAvailable string          `json:"earliestDateAvailable"`
	LatestDateCovered     string          `json:"latestDateCovered"`
}

func replicationQuery(start, end time.Time) string {
	const layout = "2006-01-02T15:04:05+00:00"
	return "?" + url.Values{"start": {start.UTC().Format(layout)}, "end": {end.UTC().Format(layout)}}.Encode()
}

// GetUpdated lists the ids of sobject records added or changed between
// start and end (at most 30 days back; seconds are ignored). Start the next
// window at LatestDateCovered.
func (c *Client) GetUpdated(ctx context.Context, sobject string, start, end time.Time) (*Updated, error) {
	if err := checkName("sObject", sobject); err != nil {
		return nil, err
	}
	raw, err := c.call(ctx, "updated", http.MethodGet, c.dataPath("sobjects", sobject, "updated/")+replicationQuery(start, end), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("updated %s: %w", sobject, err)
	}
	var out Updated
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("updated %s: decode: %w", sobject, err)
	}
	return &out, nil
}

// GetDeleted lists the sobject records deleted between start and end (at
// most 15 days back). When EarliestDateAvailable is after start, deletions
// may have been purged: resynchronise.
func (c *Client) GetDeleted(ctx context.Context, sobject string, start, end time.Time) (*Deleted, error) {
	if err := checkName("sObject", sobject); err != nil {
		return nil, err
	}
	raw, err := c.call(ctx, "deleted", http.MethodGet, c.dataPath("sobjects", sobject, "deleted/")+replicationQuery(start, end), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("deleted %s: %w", sobject, err)
	}
	var out Deleted
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("deleted %s: decode: %w", sobject, err)
	}
	return &out, nil
}

package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/seed"
	sim "github.com/crmhub/crmhub/sim/hubspot"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env starts the simulator behind a real socket and a client talking to it.
func env(t *testing.T) (*sim.Server, *hubspot.Client) {
	t.Helper()
	s := sim.New(sim.Options{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c, err := hubspot.New(hubspot.Config{BaseURL: ts.URL, Token: "test-token", RequestsPer10s: 100000, SearchPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func contacts(n int, at time.Time, fill func(i int, v map[string]string)) []seed.Record {
	recs := make([]seed.Record, n)
	for i := range recs {
		v := map[string]string{"email": fmt.Sprintf("p%d@example.com", i+1), "firstname": fmt.Sprintf("P%d", i+1)}
		if fill != nil {
			fill(i, v)
		}
		recs[i] = seed.Record{Values: v, CreatedAt: at, UpdatedAt: at}
	}
	return recs
}

func TestListPagingAndProperties(t *testing.T) {
	s, c := env(t)
	ctx := context.Background()
	if err := s.Load("contacts", contacts(1050, t0, func(i int, v map[string]string) {
		if i%2 == 0 {
			v["city"] = "Lyon"
		}
	})); err != nil {
		t.Fatal(err)
	}
	var ids []int
	err := c.List(ctx, "contacts", hubspot.ListOptions{Properties: []string{"email", "city"}}, func(page []hubspot.Object) error {
		for _, o := range page {
			n, _ := strconv.Atoi(o.ID)
			ids = append(ids, n)
			want := []string{"city", "createdate", "email", "hs_object_id", "lastmodifieddate"}
			got := make([]string, 0, len(o.Properties))
			for k := range o.Properties {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("record %s properties = %v, want %v", o.ID, got, want)
			}
			if city, ok := o.Value("city"); (n%2 == 1) != ok || (ok && city != "Lyon") {
				t.Fatalf("record %s city = %q,%v", o.ID, city, ok)
			}
			if !o.UpdatedAt.Equal(t0) {
				t.Fatalf("updatedAt = %v", o.UpdatedAt)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1050 || !slices.IsSorted(ids) || ids[0] != 1 || ids[1049] != 1050 {
		t.Fatalf("got %d ids, sorted=%v", len(ids), slices.IsSorted(ids))
	}
	if got := s.Calls()["list"]; got != 11 {
		t.Fatalf("list calls = %d, want 11", got)
	}
	if st := c.Calls()["list"]; st.Calls != 11 || st.Errors != 0 {
		t.Fatalf("client stats = %+v", st)
	}
}

func TestSearchOperators(t *testing.T) {
	s, c := env(t)
	ctx := context.Background()
	recs := []seed.Record{
		{ID: "1", Values: map[string]string{"email": "ann@acme.com", "firstname": "Ann", "city": "Paris", "date_of_birth": "1990-01-01"}, UpdatedAt: t0},
		{ID: "2", Values: map[string]string{"email": "bob@acme.com", "firstname": "Bob", "city": "Lyon"}, UpdatedAt: t0.Add(time.Hour)},
		{ID: "3", Values: map[string]string{"email": "cy@other.org", "firstname": "Cy Smith"}, UpdatedAt: t0.Add(2 * time.Hour)},
		{ID: "4", Values: map[string]string{"email": "gone@acme.com", "firstname": "Gone"}, UpdatedAt: t0, Archived: true},
	}
	if err := s.Load("contacts", recs); err != nil {
		t.Fatal(err)
	}
	ms := hubspot.Millis
	f := func(p, op, v string) hubspot.Filter { return hubspot.Filter{PropertyName: p, Operator: op, Value: v} }
	tests := []struct {
		name    string
		filters []hubspot.Filter
		want    []string
	}{
		{"EQ case-insensitive", []hubspot.Filter{f("email", "EQ", "ANN@acme.com")}, []string{"1"}},
		{"NEQ", []hubspot.Filter{f("city", "NEQ", "Paris")}, []string{"2", "3"}},
		{"LT id", []hubspot.Filter{f("hs_object_id", "LT", "3")}, []string{"1", "2"}},
		{"LTE id numeric", []hubspot.Filter{f("hs_object_id", "LTE", "10")}, []string{"1", "2", "3"}},
		{"GT date", []hubspot.Filter{f("lastmodifieddate", "GT", ms(t0))}, []string{"2", "3"}},
		{"GTE date", []hubspot.Filter{f("lastmodifieddate", "GTE", ms(t0))}, []string{"1", "2", "3"}},
		{"BETWEEN date", []hubspot.Filter{{PropertyName: "lastmodifieddate", Operator: "BETWEEN", Value: ms(t0.Add(time.Minute)), HighValue: ms(t0.Add(time.Hour))}}, []string{"2"}},
		{"IN", []hubspot.Filter{{PropertyName: "city", Operator: "IN", Values: []string{"paris", "lyon"}}}, []string{"1", "2"}},
		{"NOT_IN", []hubspot.Filter{{PropertyName: "city", Operator: "NOT_IN", Values: []string{"paris"}}}, []string{"2", "3"}},
		{"HAS_PROPERTY", []hubspot.Filter{f("city", "HAS_PROPERTY", "")}, []string{"1", "2"}},
		{"NOT_HAS_PROPERTY", []hubspot.Filter{f("city", "NOT_HAS_PROPERTY", "")}, []string{"3"}},
		{"CONTAINS_TOKEN word", []hubspot.Filter{f("firstname", "CONTAINS_TOKEN", "smith")}, []string{"3"}},
		{"CONTAINS_TOKEN wildcard", []hubspot.Filter{f("email", "CONTAINS_TOKEN", "*@acme.com")}, []string{"1", "2"}},
		{"NOT_CONTAINS_TOKEN", []hubspot.Filter{f("email", "NOT_CONTAINS_TOKEN", "*@acme.com")}, []string{"3"}},
		{"AND", []hubspot.Filter{f("email", "CONTAINS_TOKEN", "*@acme.com"), f("city", "EQ", "lyon")}, []string{"2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := c.Search(ctx, "contacts", hubspot.SearchRequest{FilterGroups: []hubspot.FilterGroup{{Filters: tc.filters}}, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range page.Results {
				got = append(got, o.ID)
			}
			if !slices.Equal(got, tc.want) || page.Total != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v", got, page.Total, tc.want)
			}
		})
	}
	t.Run("OR groups and sort", func(t *testing.T) {
		page, err := c.Search(ctx, "contacts", hubspot.SearchRequest{
			FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{f("city", "EQ", "Paris")}}, {Filters: []hubspot.Filter{f("city", "EQ", "Lyon")}}},
			Sorts:        []hubspot.Sort{{PropertyName: "lastmodifieddate", Direction: "DESCENDING"}}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 2 || len(page.Results) != 1 || page.Results[0].ID != "2" || page.After != "1" {
			t.Fatalf("page = %+v", page)
		}
	})
}

func TestSearchTenThousandCap(t *testing.T) {
	_, c := env(t)
	ctx := context.Background()
	if _, err := c.Search(ctx, "contacts", hubspot.SearchRequest{Limit: 200, After: "9800"}); err != nil {
		t.Fatalf("after 9800 + 200: %v", err)
	}
	_, err := c.Search(ctx, "contacts", hubspot.SearchRequest{Limit: 200, After: "9900"})
	var apiErr *hubspot.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Category != "VALIDATION_ERROR" || !errors.Is(err, hubspot.ErrValidation) {
		t.Fatalf("err = %v", err)
	}
	if st := c.Calls()["search"]; st.Retries != 0 {
		t.Fatalf("a 400 was retried: %+v", st)
	}
}

func TestModifiedSinceSameTimestamp(t *testing.T) {
	s, c := env(t)
	ctx := context.Background()
	older := contacts(300, t0.Add(-time.Hour), nil)
	same := contacts(12000, t0, nil)
	for i := range same {
		same[i].Values["email"] = fmt.Sprintf("same%d@example.com", i)
	}
	same[5].Archived = true
	if err := s.Load("contacts", append(older, same...)); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	err := c.ModifiedSince(ctx, "contacts", t0, []string{"email"}, func(objs []hubspot.Object) error {
		for _, o := range objs {
			seen[o.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 11999 {
		t.Fatalf("got %d distinct records, want 11999", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("record %s read %d times", id, n)
		}
		if v, _ := strconv.Atoi(id); v <= 300 || v == 306 {
			t.Fatalf("record %s should not be read", id)
		}
	}
	if calls := s.Calls()["search"]; calls < 60 || calls > 62 {
		t.Fatalf("search calls = %d", calls)
	}
}

func TestBatchUpdatePartialFailure(t *testing.T) {
	s, c := env(t)
	ctx := context.Background()
	if err := s.Load("contacts", contacts(3, t0, nil)); err != nil {
		t.Fatal(err)
	}
	res, err := c.BatchUpdate(ctx, "contacts", []hubspot.BatchInput{
		{ID: "1", Properties: map[string]string{"city": "Oslo"}},
		{ID: "2", Properties: map[string]string{"no_such_prop": "x"}},
		{ID: "999", Properties: map[string]string{"city": "Rome"}},
		{ID: "3", Properties: map[string]string{"jobtitle": "CTO"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.HTTPStatus != 207 || res.Status != "COMPLETE" || len(res.Results) != 2 || len(res.Errors) != 2 {
		t.Fatalf("result = %+v", res)
	}
	cats := map[string][]string{}
	for _, e := range res.Errors {
		cats[e.Category] = e.IDs
	}
	if !slices.Equal(cats["OBJECT_NOT_FOUND"], []string{"999"}) || !slices.Equal(cats["VALIDATION_ERROR"], []string{"2"}) {
		t.Fatalf("errors = %+v", res.Errors)
	}
	got, err := c.Get(ctx, "contacts", "1", "", []string{"city"})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Value("city"); v != "Oslo" || !got.UpdatedAt.After(t0) {
		t.Fatalf("contact 1 = %+v", got)
	}
	lm, _ := got.Value("lastmodifieddate")
	if lm != got.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Fatalf("lastmodifieddate %q vs updatedAt %v", lm, got.UpdatedAt)
	}
}

func TestBatchLimitAndErrors(t *testing.T) {
	s, c := env(t)
	ctx := context.Background()
	if err := s.Load("contacts", contacts(2, t0, nil)); err != nil {
		t.Fatal(err)
	}
	inputs := make([]hubspot.BatchInput, 101)
	for i := range inputs {
		inputs[i] = hubspot.BatchInput{Properties: map[string]string{"firstname": "x"}}
	}
	_, err := c.BatchCreate(ctx, "contacts", inputs)
	var apiErr *hubspot.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 {
		t.Fatalf("101 inputs: err = %v", err)
	}
	if _, err := c.Get(ctx, "contacts", "42", "", nil); !errors.Is(err, hubspot.ErrNotFound) {
		t.Fatalf("missing record: err = %v", err)
	}
	o, err := c.Get(ctx, "contacts", "p2@example.com", "email", nil)
	if err != nil || o.ID != "2" {
		t.Fatalf("get by email = %+v, %v", o, err)
	}
}

func TestBatchUpsert(t *testing.T) {
	s, c := env(t)
	ctx := context.Background()
	if err := s.Load("contacts", contacts(2, t0, nil)); err != nil {
		t.Fatal(err)
	}
	res, err := c.BatchUpsert(ctx, "contacts", []hubspot.BatchInput{
		{ID: "P1@example.com", IDProperty: "email", Properties: map[string]string{"lastname": "Known"}},
		{ID: "new@example.com", IDProperty: "email", Properties: map[string]string{"lastname": "Fresh"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.HTTPStatus != 200 || len(res.Results) != 2 {
		t.Fatalf("result = %+v", res)
	}
	byNew := map[bool]hubspot.BatchRecord{}
	for _, r := range res.Results {
		byNew[r.New] = r
	}
	if byNew[false].ID != "1" || byNew[true].ID != "3" {
		t.Fatalf("results = %+v", res.Results)
	}
	if v, _ := byNew[true].Value("email"); v != "new@example.com" {
		t.Fatalf("new record email = %q", v)
	}
	_, err = c.BatchUpsert(ctx, "contacts", []hubspot.BatchInput{{ID: "x", IDProperty: "firstname"}})
	if !errors.Is(err, hubspot.ErrValidation) {
		t.Fatalf("non-unique idProperty: err = %v", err)
	}
}

func TestUnauthorized(t *testing.T) {
	s := sim.New(sim.Options{Token: "right"})
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, err := hubspot.New(hubspot.Config{BaseURL: ts.URL, Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Properties(context.Background(), "contacts")
	var apiErr *hubspot.APIError
	if !errors.Is(err, hubspot.ErrUnauthorized) || !errors.As(err, &apiErr) || apiErr.Category != "INVALID_AUTHENTICATION" || apiErr.CorrelationID == "" {
		t.Fatalf("err = %v", err)
	}
	if st := c.Calls()["properties"]; st.Retries != 0 || st.Errors != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestPropertiesAndCreate(t *testing.T) {
	_, c := env(t)
	ctx := context.Background()
	props, err := c.Properties(ctx, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	var email *hubspot.Property
	for i := range props {
		if props[i].Name == "email" {
			email = &props[i]
		}
	}
	if email == nil || !email.HasUniqueValue || email.Type != "string" {
		t.Fatalf("email property = %+v", email)
	}
	p := hubspot.Property{Name: "salesforce_id", Label: "Salesforce ID", Type: "string", FieldType: "text", GroupName: "contactinformation", HasUniqueValue: true}
	if _, err := c.CreateProperty(ctx, "contacts", p); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateProperty(ctx, "contacts", p); !errors.Is(err, hubspot.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	res, err := c.BatchUpsert(ctx, "contacts", []hubspot.BatchInput{{ID: "003A", IDProperty: "salesforce_id", Properties: map[string]string{"email": "sf@example.com"}}})
	if err != nil || len(res.Results) != 1 || !res.Results[0].New {
		t.Fatalf("upsert on custom unique property: %+v %v", res, err)
	}
}

func TestAssociations(t *testing.T) {
	s, c := env(t)
	ctx := context.Background()
	if err := s.Load("companies", []seed.Record{{ID: "10", Values: map[string]string{"name": "Acme"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Load("contacts", contacts(2, t0, func(i int, v map[string]string) {
		if i == 0 {
			v["associatedcompanyid"] = "10"
		}
	})); err != nil {
		t.Fatal(err)
	}
	got, err := c.Associations(ctx, "companies", "10", "contacts")
	if err != nil || len(got) != 1 || got[0].ToObjectID != "1" || !slices.Equal(got[0].TypeIDs, []int{280}) {
		t.Fatalf("associations = %+v, %v", got, err)
	}
	res, err := c.CreateAssociations(ctx, "contacts", "companies", []hubspot.AssociationPair{{FromID: "2", ToID: "10"}, {FromID: "77", ToID: "10"}})
	if err != nil || res.HTTPStatus != 207 || len(res.Errors) != 1 {
		t.Fatalf("create associations = %+v, %v", res, err)
	}
	var assoc []string
	err = c.List(ctx, "contacts", hubspot.ListOptions{Associations: []string{"companies"}}, func(objs []hubspot.Object) error {
		for _, o := range objs {
			assoc = append(assoc, o.Associations["companies"]...)
		}
		return nil
	})
	if err != nil || !slices.Equal(assoc, []string{"10", "10"}) {
		t.Fatalf("list associations = %v, %v", assoc, err)
	}
}

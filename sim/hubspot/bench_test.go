package hubspot

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/seed"
)

// loadMillion loads 1,000,000 contacts once per benchmark.
func loadMillion(b *testing.B) *Server {
	b.Helper()
	s := New(Options{})
	recs := make([]seed.Record, 1_000_000)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@example.com", i),
			"firstname": "P", "lastname": fmt.Sprint(i), "city": "Lyon"}, CreatedAt: t0, UpdatedAt: t0}
	}
	if err := s.Load("contacts", recs); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkListPage1M(b *testing.B) {
	s := loadMillion(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest("GET", fmt.Sprintf("/crm/v3/objects/contacts?limit=100&after=%d", 1+(i*100)%999_000), nil)
		req.Header.Set("Authorization", "Bearer test-token")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkSearchScan1M(b *testing.B) {
	s := loadMillion(b)
	body := `{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"p999999@example.com"}]}]}`
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/crm/v3/objects/contacts/search", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer test-token")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"total":1`) {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

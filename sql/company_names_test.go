package sql_test

import (
	"context"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// TestWordsUnmatched: the words of one company name that nothing in the
// other accounts for (two_names_at_site in company_pairs rests on them).
// Equal words, prefixes, near spellings, abbreviations and acronyms account
// for a word; a different word does not.
func TestWordsUnmatched(t *testing.T) {
	ctx := context.Background()
	db := testDB(ctx, t)
	if _, err := (&transform.Runner{DB: db}).Run(ctx, embeddedModels(t, "macros/macros.sql")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ a, b, want string }{
		{"cafe ritz-carlton (buckhead)", "dining room ritz-carlton buckhead", "cafe"},
		{"dining room ritz-carlton buckhead", "cafe ritz-carlton (buckhead)", "dining room"},
		{"ritz-carlton cafe (buckhead)", "cafe ritz-carlton buckhead", ""},
		{"art's deli", "art's delicatessen", ""},                                                       // prefix
		{"arnie mortons of chicago", "arnie morton's of chicago", ""},                                  // near spelling
		{"el valor kiddy kare learning ctr", "El Valor Kiddy Kare Learning Center", ""},                // abbreviation
		{"chicago youth centers roseland cyc", "chicago youth centers roseland child development", ""}, // acronym
		{"Mary Crane League Mary Crane Center (West)", "Mary Crane League Mary Crane Center (North)", "west"},
		{"Home of Life II", "Home of Life Just for You", "ii"}, // two letters: not read as an acronym
	} {
		var got string
		err := db.QueryRowContext(ctx, `SELECT array_to_string(list_sort(words_unmatched(name_tokens(norm_company(?)), name_tokens(norm_company(?)), norm_company(?))), ' ')`,
			tc.a, tc.b, tc.b).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("words of %q unmatched in %q: %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

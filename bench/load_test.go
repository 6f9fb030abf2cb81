package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestRunLoadSmall pushes a few hundred changed records to each simulator
// with its rate limits on, through the same code as `crmhub bench load`:
// every record arrives, write calls are the minimum, nothing is refused.
// Timing is reported, never asserted.
func TestRunLoadSmall(t *testing.T) {
	rep, err := RunLoad(context.Background(), LoadOptions{Records: 450, BulkThreshold: 300, BulkPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Systems) != 2 {
		t.Fatalf("systems = %+v", rep.Systems)
	}
	for _, f := range rep.Systems {
		if f.Verified != 450 || f.Errors != 0 || f.WriteCalls != f.MinWriteCalls || f.Status[429] != 0 {
			t.Errorf("%s: %+v", f.System, f)
		}
	}
	hs, sf := rep.Systems[0], rep.Systems[1]
	if hs.WriteCalls != 5 || hs.APICalls != 6 || hs.BoundSec <= 0 { // 5 batches of <=100 and one properties read
		t.Errorf("hubspot calls: %+v", hs)
	}
	if sf.WriteCalls != 1 || !strings.Contains(sf.Path, "Bulk API 2.0") || sf.DailyUsed != sf.APICalls || sf.DailyLimit != 100000 {
		t.Errorf("salesforce: one bulk job expected, usage from Sforce-Limit-Info equal to the calls: %+v", sf)
	}
	var out bytes.Buffer
	rep.Print(&out)
	t.Log("\n" + out.String())
}

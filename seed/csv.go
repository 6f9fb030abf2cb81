package seed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// idColumn is the optional column carrying each system's record id.
var idColumn = map[string]string{HubSpot: "id", Salesforce: "Id"}

// objectsOf lists each system's objects, as Load reads them.
var objectsOf = map[string][]string{HubSpot: HubSpotObjects, Salesforce: SalesforceObjects}

// Load reads a seed directory: DIR/hubspot/*.csv, DIR/salesforce/*.csv and
// DIR/truth.csv, every file optional. Errors name the file and line.
func Load(dir string) (*Dataset, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSeed, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrBadSeed, dir)
	}
	d := NewDataset()
	found := 0
	for _, system := range []string{HubSpot, Salesforce} {
		objects := objectsOf[system]
		for _, obj := range objects {
			path := filepath.Join(dir, system, obj+".csv")
			recs, cols, err := loadObject(path, idColumn[system])
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			found++
			d.Objects[system][obj] = recs
			d.Columns[system][obj] = cols
		}
	}
	truthPath := filepath.Join(dir, "truth.csv")
	truth, err := loadTruth(truthPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		found++
		d.Truth = truth
	}
	if found == 0 {
		return nil, fmt.Errorf("%w: %s holds none of hubspot/{%s}.csv, salesforce/{%s}.csv, truth.csv",
			ErrBadSeed, dir, strings.Join(HubSpotObjects, ","), strings.Join(SalesforceObjects, ","))
	}
	return d, nil
}

// csvFile reads a whole CSV file with its header, reporting errors with the
// file name and line.
type csvFile struct {
	path   string
	header []string
	rows   [][]string
	lines  []int
}

func readCSV(path string) (*csvFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = false
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: %s:1: empty file, expected a header row", ErrBadSeed, path)
	}
	if err != nil {
		return nil, parseError(path, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	seen := map[string]bool{}
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, fmt.Errorf("%w: %s:1: column %d's name is not valid UTF-8", ErrBadSeed, path, i+1)
		}
		h = strings.TrimSpace(h)
		header[i] = h
		if h == "" {
			return nil, fmt.Errorf("%w: %s:1: column %d has an empty name", ErrBadSeed, path, i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("%w: %s:1: column %q appears twice", ErrBadSeed, path, h)
		}
		seen[h] = true
	}
	cf := &csvFile{path: path, header: header}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, parseError(path, err)
		}
		line, _ := r.FieldPos(0)
		for i, v := range row {
			if !utf8.ValidString(v) {
				return nil, fmt.Errorf("%w: %s:%d: column %q is not valid UTF-8", ErrBadSeed, path, line, header[i])
			}
		}
		cf.rows = append(cf.rows, row)
		cf.lines = append(cf.lines, line)
	}
	return cf, nil
}

// parseError names the file and line of a CSV syntax error as path:line.
func parseError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.Err == csv.ErrFieldCount {
			return fmt.Errorf("%w: %s:%d: %v", ErrBadSeed, path, pe.Line, pe.Err)
		}
		if pe.StartLine != pe.Line {
			// An unclosed quote swallows the lines after it: name the line
			// where the record starts, which holds the mistake.
			return fmt.Errorf("%w: %s:%d: the record starting here runs to line %d, column %d: %v (quote fields per RFC 4180)",
				ErrBadSeed, path, pe.StartLine, pe.Line, pe.Column, pe.Err)
		}
		return fmt.Errorf("%w: %s:%d: column %d: %v (quote fields per RFC 4180)", ErrBadSeed, path, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%w: %s: %v", ErrBadSeed, path, err)
}

func loadObject(path, idCol string) ([]Record, []string, error) {
	cf, err := readCSV(path)
	if err != nil {
		return nil, nil, err
	}
	idIdx := -1
	cols := make([]string, 0, len(cf.header))
	for i, h := range cf.header {
		if h == idCol {
			idIdx = i
			continue
		}
		cols = append(cols, h)
	}
	recs := make([]Record, 0, len(cf.rows))
	ids := map[string]int{}
	for n, row := range cf.rows {
		rec := Record{Values: make(map[string]string, len(row))}
		for i, v := range row {
			if i == idIdx {
				rec.ID = strings.TrimSpace(v)
				continue
			}
			if v != "" {
				rec.Values[cf.header[i]] = v
			}
		}
		if rec.ID != "" {
			if prev, dup := ids[rec.ID]; dup {
				return nil, nil, fmt.Errorf("%w: %s:%d: %s %q already used on line %d", ErrBadSeed, path, cf.lines[n], idCol, rec.ID, prev)
			}
			ids[rec.ID] = cf.lines[n]
		}
		recs = append(recs, rec)
	}
	return recs, cols, nil
}

var truthHeader = []string{"system", "object", "record_id", "entity_id"}

func loadTruth(path string) ([]TruthRow, error) {
	cf, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	if strings.Join(cf.header, ",") != strings.Join(truthHeader, ",") {
		return nil, fmt.Errorf("%w: %s:1: header must be %s, got %s", ErrBadSeed, path,
			strings.Join(truthHeader, ","), strings.Join(cf.header, ","))
	}
	out := make([]TruthRow, 0, len(cf.rows))
	seen := map[[3]string]int{}
	for n, row := range cf.rows {
		t := TruthRow{System: row[0], Object: row[1], RecordID: row[2], EntityID: row[3]}
		objects, ok := objectsOf[t.System]
		if !ok {
			return nil, fmt.Errorf("%w: %s:%d: system %q is neither hubspot nor salesforce", ErrBadSeed, path, cf.lines[n], t.System)
		}
		if !slices.Contains(objects, t.Object) {
			return nil, fmt.Errorf("%w: %s:%d: object %q is not a %s object (want one of %s)", ErrBadSeed, path, cf.lines[n], t.Object, t.System, strings.Join(objects, ", "))
		}
		if t.RecordID == "" || t.EntityID == "" {
			return nil, fmt.Errorf("%w: %s:%d: record_id and entity_id are required", ErrBadSeed, path, cf.lines[n])
		}
		k := [3]string{t.System, t.Object, t.RecordID}
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("%w: %s:%d: %s %s %q already listed on line %d", ErrBadSeed, path, cf.lines[n], t.System, t.Object, t.RecordID, prev)
		}
		seen[k] = cf.lines[n]
		out = append(out, t)
	}
	return out, nil
}

// Write stores d as a seed directory (the inverse of Load).
func Write(d *Dataset, dir string) error {
	for system, objs := range d.Objects {
		for obj, recs := range objs {
			if !slices.Contains(objectsOf[system], obj) {
				return fmt.Errorf("%w: write %s/%s: not an object a seed directory holds", ErrBadSeed, system, obj)
			}
			if err := os.MkdirAll(filepath.Join(dir, system), 0o755); err != nil {
				return err
			}
			cols := append([]string{idColumn[system]}, writeColumns(d, system, obj)...)
			rows := make([][]string, 0, len(recs))
			for _, r := range recs {
				row := make([]string, len(cols))
				row[0] = r.ID
				for i, c := range cols[1:] {
					row[i+1] = r.Values[c]
				}
				rows = append(rows, row)
			}
			if err := writeCSV(filepath.Join(dir, system, obj+".csv"), cols, rows); err != nil {
				return err
			}
		}
	}
	if len(d.Truth) == 0 {
		return nil
	}
	rows := make([][]string, 0, len(d.Truth))
	for _, t := range d.Truth {
		rows = append(rows, []string{t.System, t.Object, t.RecordID, t.EntityID})
	}
	return writeCSV(filepath.Join(dir, "truth.csv"), truthHeader, rows)
}

// writeColumns is the header Write uses: the kept columns, then any value
// key the records carry that the kept header lacks, so nothing is dropped.
func writeColumns(d *Dataset, system, obj string) []string {
	cols := slices.Clone(d.ColumnsOf(system, obj))
	known := map[string]bool{idColumn[system]: true}
	for _, c := range cols {
		known[c] = true
	}
	var extra []string
	for _, r := range d.Records(system, obj) {
		for k := range r.Values {
			if !known[k] {
				known[k] = true
				extra = append(extra, k)
			}
		}
	}
	sort.Strings(extra)
	return append(cols, extra...)
}

func writeCSV(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

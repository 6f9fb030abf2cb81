package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts are inline SVG written here: the pages need no script, no font
// and no network.

// Series is one line of a line chart; NaN marks a run without the value.
type Series struct {
	Label  string
	Values []float64
}

// palette is readable on white and distinct for colour-blind readers
// (Okabe-Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

const (
	chartW, chartH                = 640, 240
	padL, padR, padTop, padBottom = 56, 40, 16, 44
)

// LineChart draws series over the x labels (runs), with a y axis from 0.
func LineChart(title, unit string, x []string, series []Series) template.HTML {
	var b strings.Builder
	maxY := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				maxY = max(maxY, v)
			}
		}
	}
	top, step := niceScale(maxY)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padTop-padBottom)
	xAt := func(i int) float64 {
		if len(x) <= 1 {
			return padL + plotW/2
		}
		return padL + plotW*float64(i)/float64(len(x)-1)
	}
	yAt := func(v float64) float64 { return padTop + plotH - plotH*v/top }
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		esc(title), chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	for v := 0.0; v <= top+step/2; v += step {
		y := yAt(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padL, chartW-padR, y, y)
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y+4, esc(short(v)))
	}
	if unit != "" {
		fmt.Fprintf(&b, `<text class="unit" x="4" y="%d">%s</text>`, padTop-4, esc(unit))
	}
	every := max(1, (len(x)+7)/8) // at most about 8 x labels
	for i, l := range x {
		if i%every != 0 && i != len(x)-1 {
			continue
		}
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, xAt(i), chartH-padBottom+16, esc(l))
	}
	for si, s := range series {
		color := palette[si%len(palette)]
		var d strings.Builder
		pen := false
		for i, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, xAt(i), yAt(v))
			pen = true
		}
		if d.Len() > 0 {
			fmt.Fprintf(&b, `<path class="series" d="%s" stroke="%s" fill="none" stroke-width="2"/>`, strings.TrimSpace(d.String()), color)
		}
		for i, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || i >= len(x) {
				continue
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s</title></circle>`,
				xAt(i), yAt(v), color, esc(s.Label), esc(x[i]), esc(short(v)))
		}
	}
	// legend under the axis
	lx := float64(padL)
	for si, s := range series {
		color := palette[si%len(palette)]
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="10" height="10" fill="%s"/><text class="legend" x="%.1f" y="%d">%s</text>`,
			lx, chartH-14, color, lx+14, chartH-5, esc(s.Label))
		lx += 24 + 6.5*float64(len(s.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text above is escaped
}

// Bar is one bar of a bar chart.
type Bar struct {
	Label string
	Value float64
}

// BarChart draws horizontal bars, one per label.
func BarChart(title, unit string, bars []Bar) template.HTML {
	const rowH, labelW, valueW = 22, 220, 80
	h := padTop + rowH*max(1, len(bars)) + 8
	maxV := 0.0
	for _, bar := range bars {
		maxV = max(maxV, bar.Value)
	}
	if maxV == 0 {
		maxV = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart bars" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		esc(title), chartW, h, chartW, h)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	plotW := float64(chartW - labelW - valueW)
	for i, bar := range bars {
		y := padTop + i*rowH
		w := plotW * bar.Value / maxV
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+14, esc(bar.Label))
		fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s %s</title></rect>`,
			labelW, y+2, math.Max(w, 1), rowH-6, palette[0], esc(bar.Label), esc(short(bar.Value)), esc(unit))
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d">%s</text>`, float64(labelW)+math.Max(w, 1)+6, y+14, esc(short(bar.Value)+" "+unit))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text above is escaped
}

// niceScale returns an axis top and step (1, 2 or 5 times a power of ten)
// giving about five gridlines.
func niceScale(maxV float64) (top, step float64) {
	if maxV <= 0 {
		return 1, 0.25
	}
	raw := maxV / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch n := raw / mag; {
	case n <= 1:
		step = mag
	case n <= 2:
		step = 2 * mag
	case n <= 5:
		step = 5 * mag
	default:
		step = 10 * mag
	}
	return math.Ceil(maxV/step) * step, step
}

// short formats a number compactly: 12, 3.5, 1.2k, 4.1M.
func short(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case a == math.Trunc(a):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func esc(s string) string { return html.EscapeString(s) }

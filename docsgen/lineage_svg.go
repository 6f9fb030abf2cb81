package docsgen

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/crmhub/crmhub/transform"
)

// LineageSVG lays the lineage graph out in columns by layer (inputs left,
// published tables right) and draws it as SVG: boxes, and curves from each
// table to the models that read it. Macros are left out of the drawing
// (every staging model reads them) and listed in the text instead.
func LineageSVG(l transform.Lineage, published map[string]bool) template.HTML {
	const boxW, boxH, colGap, rowGap, pad = 190, 24, 70, 10, 10
	keep := map[string]bool{}
	for _, n := range l.Nodes {
		keep[n.Name] = n.Kind != "macros"
	}
	l = l.Sub(keep)
	layers := map[int][]transform.LineageNode{}
	maxLayer := 0
	// re-layer without macros so columns stay dense
	layer := map[string]int{}
	reads := map[string][]string{}
	for _, e := range l.Edges {
		reads[e[1]] = append(reads[e[1]], e[0])
	}
	for _, n := range l.Nodes { // nodes are in dependency order
		lv := 0
		for _, d := range reads[n.Name] {
			lv = max(lv, layer[d]+1)
		}
		layer[n.Name] = lv
		layers[lv] = append(layers[lv], n)
		maxLayer = max(maxLayer, lv)
	}
	maxRows := 0
	for _, ns := range layers {
		maxRows = max(maxRows, len(ns))
	}
	w := pad*2 + (maxLayer+1)*boxW + maxLayer*colGap
	h := pad*2 + maxRows*(boxH+rowGap)
	pos := map[string][2]int{}
	for lv := 0; lv <= maxLayer; lv++ {
		for i, n := range layers[lv] {
			pos[n.Name] = [2]int{pad + lv*(boxW+colGap), pad + i*(boxH+rowGap)}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="lineage" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">`, w, h, w, h)
	b.WriteString(`<title>Lineage of the SQL models</title>`)
	for _, e := range l.Edges {
		a, z := pos[e[0]], pos[e[1]]
		x1, y1 := a[0]+boxW, a[1]+boxH/2
		x2, y2 := z[0], z[1]+boxH/2
		mid := (x1 + x2) / 2
		fmt.Fprintf(&b, `<path class="edge" d="M%d %d C%d %d %d %d %d %d" fill="none" stroke="#9aa5b5" stroke-width="1"><title>%s → %s</title></path>`,
			x1, y1, mid, y1, mid, y2, x2, y2, html.EscapeString(e[0]), html.EscapeString(e[1]))
	}
	for _, n := range l.Nodes {
		p := pos[n.Name]
		fill, stroke := "#eef4fb", "#0072B2"
		switch {
		case n.Kind == "input":
			fill, stroke = "#f3f3f3", "#777"
		case published[n.Name]:
			fill, stroke = "#e8f6ef", "#009E73"
		}
		tip := n.Name
		if n.Path != "" {
			tip += " (" + n.Path + ")"
		}
		if n.Description != "" {
			tip += ": " + n.Description
		}
		fmt.Fprintf(&b, `<g class="node"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" stroke="%s"/>`,
			html.EscapeString(tip), p[0], p[1], boxW, boxH, fill, stroke)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text></g>`, p[0]+6, p[1]+16, html.EscapeString(n.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // names are escaped
}

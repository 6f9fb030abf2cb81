package transform

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// LineageNode is a table in the lineage graph: a model or an input.
type LineageNode struct {
	Name string
	// Kind is input, macros, script or model.
	Kind string
	// Folder is the model's folder (staging, match, ...), "input" for inputs.
	Folder      string
	Path        string
	Description string
	Tests       []string
	// Layer is the longest chain of tables before this one (inputs are 0).
	Layer int
}

// Lineage is the graph of the models: an edge goes from a table to each
// model that reads it.
type Lineage struct {
	Nodes []LineageNode
	Edges [][2]string
}

// BuildLineage makes the graph of ordered models (LoadModels' order).
func BuildLineage(models []Model) Lineage {
	var l Lineage
	layer := map[string]int{}
	isModel := map[string]bool{}
	for _, m := range models {
		isModel[m.Name] = true
	}
	var inputs []string
	for _, m := range models {
		for _, d := range m.Deps {
			if !isModel[d] && !slices.Contains(inputs, d) {
				inputs = append(inputs, d)
			}
		}
	}
	slices.Sort(inputs)
	for _, in := range inputs {
		l.Nodes = append(l.Nodes, LineageNode{Name: in, Kind: "input", Folder: "input"})
		layer[in] = 0
	}
	for _, m := range models {
		n := LineageNode{Name: m.Name, Kind: "model", Folder: path.Dir(m.Path), Path: m.Path, Description: m.Description}
		switch {
		case m.Macros:
			n.Kind = "macros"
		case m.Script:
			n.Kind = "script"
		}
		for _, t := range m.Tests {
			n.Tests = append(n.Tests, t.Name())
		}
		for _, d := range m.Deps {
			n.Layer = max(n.Layer, layer[d]+1)
			l.Edges = append(l.Edges, [2]string{d, m.Name})
		}
		layer[m.Name] = n.Layer
		l.Nodes = append(l.Nodes, n)
	}
	return l
}

// Mermaid renders the graph as a Mermaid flowchart (left to right).
func (l Lineage) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, n := range l.Nodes {
		switch n.Kind {
		case "input":
			fmt.Fprintf(&b, "  %s[(%s)]\n", n.Name, n.Name)
		case "macros":
			fmt.Fprintf(&b, "  %s{{%s}}\n", n.Name, n.Name)
		default:
			fmt.Fprintf(&b, "  %s[%s]\n", n.Name, n.Name)
		}
	}
	for _, e := range l.Edges {
		fmt.Fprintf(&b, "  %s --> %s\n", e[0], e[1])
	}
	return b.String()
}

// DOT renders the graph for Graphviz.
func (l Lineage) DOT() string {
	var b strings.Builder
	b.WriteString("digraph lineage {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n")
	for _, n := range l.Nodes {
		shape := "box"
		switch n.Kind {
		case "input":
			shape = "cylinder"
		case "macros":
			shape = "hexagon"
		}
		fmt.Fprintf(&b, "  %q [shape=%s];\n", n.Name, shape)
	}
	for _, e := range l.Edges {
		fmt.Fprintf(&b, "  %q -> %q;\n", e[0], e[1])
	}
	b.WriteString("}\n")
	return b.String()
}

// Text renders one line per table: its kind, what it reads and its tests.
func (l Lineage) Text() string {
	reads := map[string][]string{}
	for _, e := range l.Edges {
		reads[e[1]] = append(reads[e[1]], e[0])
	}
	var b strings.Builder
	for _, n := range l.Nodes {
		if n.Kind == "input" {
			fmt.Fprintf(&b, "%s (input)\n", n.Name)
			continue
		}
		fmt.Fprintf(&b, "%s (%s, %s)\n", n.Name, n.Kind, n.Path)
		if len(reads[n.Name]) > 0 {
			fmt.Fprintf(&b, "  reads: %s\n", strings.Join(reads[n.Name], ", "))
		}
		for _, t := range n.Tests {
			fmt.Fprintf(&b, "  test:  %s\n", t)
		}
	}
	return b.String()
}

// Sub keeps the nodes named and the edges between them.
func (l Lineage) Sub(keep map[string]bool) Lineage {
	var out Lineage
	for _, n := range l.Nodes {
		if keep[n.Name] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	for _, e := range l.Edges {
		if keep[e[0]] && keep[e[1]] {
			out.Edges = append(out.Edges, e)
		}
	}
	return out
}

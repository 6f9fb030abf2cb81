package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/crmhub/crmhub/docsgen"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// DocsCmd is `crmhub docs`: the sync architecture from a pipeline and the
// models, as Markdown and HTML.
type DocsCmd struct {
	Pipeline string `help:"Pipeline file (default: the built-in defaults)." type:"existingfile" placeholder:"FILE"`
	Models   string `help:"Project folder laid over the embedded SQL models." type:"existingdir" placeholder:"DIR"`
	Out      string `help:"Folder for sync.md and sync.html." default:"docs/generated" placeholder:"DIR"`
	Tables   string `help:"Also write the published tables' reference (Markdown) to this file, e.g. docs/tables.md." placeholder:"FILE"`
}

func (d *DocsCmd) Run(ctx context.Context, g *Globals) error {
	p := pipelines.Default()
	if d.Pipeline != "" {
		var err error
		if p, err = pipelines.LoadFile(d.Pipeline); err != nil {
			return codedError{err, 2}
		}
	}
	models, err := modelsFS(d.Models)
	if err != nil {
		return codedError{err, 2}
	}
	doc, err := docsgen.Build(p, models)
	if err != nil {
		return err
	}
	var md, html bytes.Buffer
	if err := doc.WriteMarkdown(&md); err != nil {
		return err
	}
	if err := doc.WriteHTML(&html); err != nil {
		return err
	}
	if err := os.MkdirAll(d.Out, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"sync.md": md.Bytes(), "sync.html": html.Bytes()} {
		if err := os.WriteFile(filepath.Join(d.Out, name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(g.stdout, "wrote %s and %s\n", filepath.Join(d.Out, "sync.md"), filepath.Join(d.Out, "sync.html"))
	if d.Tables != "" {
		fm, err := docsgen.ReadFieldMap(models)
		if err != nil {
			return err
		}
		if err := os.WriteFile(d.Tables, []byte(docsgen.TablesMarkdown(fm)), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "wrote %s\n", d.Tables)
	}
	return nil
}

// modelsFS returns the embedded models, with dir laid over them when set.
func modelsFS(dir string) (fs.FS, error) {
	if dir == "" {
		return sqlmodels.Models, nil
	}
	return transform.Overlay(sqlmodels.Models, dir)
}

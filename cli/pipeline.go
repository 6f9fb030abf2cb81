package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/crmhub/crmhub/pipelines"
)

// PipelineCmd is `crmhub pipeline`: the pipeline file's reference and the
// scheduler entries for a pipeline.
type PipelineCmd struct {
	Docs     PipelineDocsCmd     `cmd:"" help:"Write the pipeline file reference (Markdown) generated from the declarations in code."`
	Schedule PipelineScheduleCmd `cmd:"" help:"Print a crontab line and a systemd service and timer for a pipeline's schedule."`
}

// PipelineDocsCmd is `crmhub pipeline docs`.
type PipelineDocsCmd struct {
	Out   string `help:"Write to this file instead of stdout (docs/pipeline-reference.md)." placeholder:"FILE"`
	Check bool   `help:"Exit 1 when --out differs from what would be written (CI)."`
}

func (c *PipelineDocsCmd) Run(ctx context.Context, g *Globals) error {
	var buf bytes.Buffer
	if err := pipelines.WriteReference(&buf); err != nil {
		return err
	}
	if c.Out == "" {
		_, err := g.stdout.Write(buf.Bytes())
		return err
	}
	if c.Check {
		old, err := os.ReadFile(c.Out)
		if err != nil || !bytes.Equal(old, buf.Bytes()) {
			return fmt.Errorf("%s is out of date: run crmhub pipeline docs --out %s", c.Out, c.Out)
		}
		return nil
	}
	return os.WriteFile(c.Out, buf.Bytes(), 0o644)
}

// PipelineScheduleCmd is `crmhub pipeline schedule`.
type PipelineScheduleCmd struct {
	Pipeline string `help:"Pipeline file." required:"" type:"existingfile" placeholder:"FILE"`
	Lake     string `help:"Lake location for the scheduled run." default:"/var/lib/crmhub/lake"`
	Binary   string `help:"Path of the crmhub binary." default:"/usr/local/bin/crmhub"`
}

func (c *PipelineScheduleCmd) Run(ctx context.Context, g *Globals) error {
	p, err := pipelines.LoadFile(c.Pipeline)
	if err != nil {
		return codedError{err, 2}
	}
	abs, err := filepath.Abs(c.Pipeline)
	if err != nil {
		return err
	}
	fmt.Fprint(g.stdout, ScheduleText(p, abs, c.Lake, c.Binary))
	return nil
}

// ScheduleText renders a crontab line and systemd units for a pipeline.
func ScheduleText(p *pipelines.Pipeline, pipelineFile, lakeLoc, binary string) string {
	cmd := fmt.Sprintf("%s run --pipeline %s --lake %s --log-format json --log-level info", binary, pipelineFile, lakeLoc)
	f := strings.Fields(p.Schedule.Cron)
	var b strings.Builder
	fmt.Fprintf(&b, "# crontab (pipeline %s): exit 0 ok, 1 failed (resumes next run), 2 config, 3 refused by safeguard, 4 locked by another run, 5 audit below threshold\n", p.Name)
	fmt.Fprintf(&b, "CRON_TZ=%s\n%s %s >>/var/log/crmhub/%s.log 2>&1\n\n", p.Schedule.Timezone, p.Schedule.Cron, cmd, p.Name)
	fmt.Fprintf(&b, "# /etc/systemd/system/crmhub-%s.service\n[Unit]\nDescription=crmhub nightly run (%s)\nWants=network-online.target\nAfter=network-online.target\n\n", p.Name, p.Name)
	fmt.Fprintf(&b, "[Service]\nType=oneshot\nEnvironmentFile=/etc/crmhub/%s.env\nExecStart=%s\n# 3 (refused by safeguard) and 4 (locked) need no restart\nSuccessExitStatus=4\nRestartPreventExitStatus=2 3 4\n\n", p.Name, cmd)
	onCal := "*-*-* 02:30:00"
	if len(f) == 5 && isNum(f[0]) && isNum(f[1]) && f[2] == "*" && f[3] == "*" && f[4] == "*" {
		onCal = fmt.Sprintf("*-*-* %02s:%02s:00", f[1], f[0])
	}
	fmt.Fprintf(&b, "# /etc/systemd/system/crmhub-%s.timer\n[Unit]\nDescription=crmhub nightly run (%s)\n\n[Timer]\nOnCalendar=%s %s\nPersistent=true\nRandomizedDelaySec=5m\n\n[Install]\nWantedBy=timers.target\n", p.Name, p.Name, onCal, p.Schedule.Timezone)
	return b.String()
}

func isNum(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/harness/audit"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/manifests"
)

// Exit codes of zdt audit, as pluto's.
const (
	ExitClean      = 0 // no object uses a deprecated or removed API
	ExitError      = 1 // a flag, a path or a manifest could not be read
	ExitDeprecated = 2 // some objects use APIs the target deprecates, none a removed one
	ExitRemoved    = 3 // some objects use APIs the target no longer serves
)

type flagpole struct {
	to     string
	output string
	all    bool
}

// NewCommand returns `zdt audit --to VERSION PATH...`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "audit --to VERSION PATH...",
		Short: "Find manifests using Kubernetes APIs the target release deprecates or removes",
		Long: `Read every object of the YAML or JSON manifests at PATH (files, or directories searched for
*.yaml, *.yml and *.json; several documents per file and v1 List objects are read) and report each
object whose apiVersion and kind the target Kubernetes release deprecates or no longer serves, with
the release that deprecated it, the release that removed it and the API to migrate to.

The table covers v1.16 to v1.37; its removals follow the Kubernetes deprecated API migration guide
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/).

Exit codes (as pluto's): 0 nothing found, 1 a flag, path or manifest could not be read,
2 deprecated APIs found, 3 removed APIs found.`,
		Example: `  zdt audit --to v1.37 testdata/manifests/
  zdt audit --to v1.36 -o json deploy/ charts/rendered.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(streams, flags, args)
		},
	}
	cmd.Flags().StringVar(&flags.to, "to", "", "the Kubernetes release the manifests must work on, e.g. v1.37 (required)")
	cmd.Flags().StringVarP(&flags.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&flags.all, "all", false, "list every object read, current ones too")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return cli.Exit(ExitError, err)
	})
	return cmd
}

func runE(streams cli.IOStreams, flags *flagpole, paths []string) error {
	if flags.to == "" {
		return cli.Exit(ExitError, fmt.Errorf("--to is required, e.g. --to v1.37"))
	}
	minor, err := audit.ParseTarget(flags.to)
	if err != nil {
		return cli.Exit(ExitError, err)
	}
	if flags.output != "text" && flags.output != "json" {
		return cli.Exit(ExitError, fmt.Errorf("--output %q: must be text or json", flags.output))
	}
	objects, err := manifests.Read(nil, paths)
	if err != nil {
		return cli.Exit(ExitError, err)
	}
	findings := audit.Check(minor, objects)
	rep := newReport(minor, len(objects), findings)
	if flags.all {
		rep.addCurrent(objects, findings)
	}
	if flags.output == "json" {
		err = writeJSON(streams.Out, rep)
	} else {
		err = writeText(streams.Out, rep)
	}
	if err != nil {
		return cli.Exit(ExitError, fmt.Errorf("write report: %w", err))
	}
	switch audit.Worst(findings) {
	case audit.Removed:
		return cli.Exit(ExitRemoved, nil)
	case audit.Deprecated:
		return cli.Exit(ExitDeprecated, nil)
	}
	return nil
}

// item is one line of the report.
type item struct {
	Source       string       `json:"source"`
	Kind         string       `json:"kind"`
	Namespace    string       `json:"namespace,omitempty"`
	Name         string       `json:"name"`
	APIVersion   string       `json:"apiVersion"`
	Status       audit.Status `json:"status"`
	DeprecatedIn string       `json:"deprecatedIn,omitempty"`
	RemovedIn    string       `json:"removedIn,omitempty"`
	Replacement  string       `json:"replacement,omitempty"`
	Note         string       `json:"note,omitempty"`
}

// report is what zdt audit prints.
type report struct {
	Target     string `json:"target"`
	Objects    int    `json:"objects"`
	Removed    int    `json:"removed"`
	Deprecated int    `json:"deprecated"`
	Items      []item `json:"items"`
}

func newReport(minor, objects int, findings []audit.Finding) *report {
	rep := &report{Target: audit.Version(minor), Objects: objects, Items: []item{}}
	for _, f := range findings {
		it := item{
			Source: f.Object.Source, Kind: f.Object.Kind, Namespace: f.Object.Namespace, Name: f.Object.Name,
			APIVersion: f.Object.APIVersion, Status: f.Status, Replacement: f.Replacement, Note: f.Note,
		}
		if f.DeprecatedIn > 0 {
			it.DeprecatedIn = audit.Version(f.DeprecatedIn)
		}
		if f.RemovedIn > 0 {
			it.RemovedIn = audit.Version(f.RemovedIn)
		}
		switch f.Status {
		case audit.Removed:
			rep.Removed++
		case audit.Deprecated:
			rep.Deprecated++
		}
		rep.Items = append(rep.Items, it)
	}
	return rep
}

// addCurrent lists the objects that use no deprecated or removed API after the findings.
func (r *report) addCurrent(objects []model.ObjectRef, findings []audit.Finding) {
	flagged := map[string]bool{}
	for _, f := range findings {
		flagged[f.Object.Source+"/"+f.Object.Kind+"/"+f.Object.Name] = true
	}
	for _, o := range objects {
		if flagged[o.Source+"/"+o.Kind+"/"+o.Name] {
			continue
		}
		r.Items = append(r.Items, item{
			Source: o.Source, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name,
			APIVersion: o.APIVersion, Status: audit.Current,
		})
	}
}

func writeJSON(w io.Writer, rep *report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func writeText(w io.Writer, rep *report) error {
	if len(rep.Items) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SOURCE\tKIND\tNAMESPACE/NAME\tAPI\tSTATUS\tDEPRECATED IN\tREMOVED IN\tREPLACEMENT")
		for _, it := range rep.Items {
			name := it.Name
			if it.Namespace != "" {
				name = it.Namespace + "/" + it.Name
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Source, it.Kind, name, it.APIVersion, it.Status,
				dash(it.DeprecatedIn), dash(it.RemovedIn), dash(it.Replacement))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "%d objects read: %d use APIs %s no longer serves, %d use APIs %s deprecates\n",
		rep.Objects, rep.Removed, rep.Target, rep.Deprecated, rep.Target)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

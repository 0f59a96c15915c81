package scenarioscmd

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/importer"
	"github.com/zdt-dev/zdt/scenarios/manifests"
)

func newImportCommand(streams cli.IOStreams) *cobra.Command {
	var (
		paths          []string
		from, to, base string
		name, out      string
	)
	cmd := &cobra.Command{
		Use:   "import --manifests PATH... [--from V --to V] [-o FILE]",
		Short: "Build a scenario from your own manifests (Deployments, StatefulSets, PDBs, Services, HPAs)",
		Long: `Build a scenario from the manifests of your own workloads, so that zdt run, zdt sweep and
zdt certify answer "will MY upgrade drop traffic, and where?".

Each Deployment and StatefulSet becomes a workload: replicas (an HPA's minReplicas where one
scales it), the containers' requests, the readiness probe (period, thresholds, initial delay),
the preStop hook (sleep, or an exec whose command sleeps), the termination grace period, the
topology spread constraint or pod anti-affinity, and the PodDisruptionBudget whose selector
matches its pods. Workloads behind a Service get the load. The cluster, load and criteria come
from --base (a built-in scenario or a file); --from and --to set the versions.

What manifests cannot show is assumed and written as a comment beside the field: how the
application behaves at SIGTERM (Graceful) and how long it takes to serve (5s). Set them per
workload with the annotations zdt.dev/on-sigterm (Graceful, Drain or Exit) and
zdt.dev/startup-time (a duration) on the Deployment or its pod template. Anything the import
cannot map (DaemonSets, other kinds, a second PDB, preStop HTTP hooks) is listed in the file's
header and on standard error, never dropped silently.

PATH is a file, a folder (walked for *.yaml, *.yml, *.json) or - for standard input, e.g. what
helm template or kustomize build prints.`,
		Example: `  zdt scenario import --manifests deploy/ --to v1.36.3 -o my-upgrade.yaml && zdt run my-upgrade.yaml
  helm template my-chart | zdt scenario import --manifests - -o chart.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(paths) == 0 {
				return cli.BadInput(fmt.Errorf("--manifests: give at least one file, folder or - (standard input)"))
			}
			var objs []importer.Object
			for _, p := range paths {
				if p == "-" {
					o, err := importer.Decode("stdin", streams.In)
					if err != nil {
						return cli.BadInput(fmt.Errorf("--manifests -: %w", err))
					}
					objs = append(objs, o...)
					continue
				}
				files, err := manifests.Files(nil, []string{p})
				if err != nil {
					return cli.BadInput(fmt.Errorf("--manifests %s: %w", p, err))
				}
				for _, f := range files {
					fh, err := os.Open(f)
					if err != nil {
						return cli.BadInput(fmt.Errorf("--manifests: %w", err))
					}
					o, err := importer.Decode(f, fh)
					fh.Close()
					if err != nil {
						return cli.BadInput(fmt.Errorf("--manifests: %w", err))
					}
					objs = append(objs, o...)
				}
			}
			b, err := scenarios.OpenAsWritten(base)
			if err != nil {
				return cli.BadInput(fmt.Errorf("--base: %w", err))
			}
			res, err := importer.Import(objs, importer.Options{Base: b, From: from, To: to, Name: name})
			if err != nil {
				return cli.BadInput(err)
			}
			data, err := res.YAML(paths)
			if err != nil {
				return err
			}
			// The file must be a valid scenario: what zdt run would say of it, it says now.
			if _, err := scenarios.Parse(out, data); err != nil {
				return cli.BadInput(fmt.Errorf("the imported scenario does not validate (check --from and --to): %w", err))
			}
			for _, u := range res.Unmapped {
				fmt.Fprintf(streams.ErrOut, "zdt: not mapped: %s: %s\n", u.Object, u.Text)
			}
			if out == "" || out == "-" {
				_, err = streams.Out.Write(data)
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(streams.ErrOut, "zdt: wrote %s: %d workloads, %d assumptions (comments beside the fields), %d not mapped; next: zdt run %s\n",
				out, len(res.Scenario.Spec.Workloads), len(res.Assumptions), len(res.Unmapped), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&paths, "manifests", nil, "manifest files, folders or - (standard input); repeat or separate with commas")
	f.StringVar(&from, "from", "", "the Kubernetes version upgraded from (default: the base's)")
	f.StringVar(&to, "to", "", "the Kubernetes version upgraded to (default: the base's)")
	f.StringVar(&base, "base", "ha-well-configured", "the scenario (built-in name or file) whose cluster, load and criteria the import uses")
	f.StringVar(&name, "name", "", "the scenario's metadata.name (default: the base's name with -imported)")
	f.StringVarP(&out, "output", "o", "", "write the scenario to this file (default: standard output)")
	return cmd
}

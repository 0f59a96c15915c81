package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/calibration"
)

// ProvidersHelp lists the registered providers, their clocks and flags, for a command's help.
func ProvidersHelp() string {
	var b strings.Builder
	b.WriteString("Providers (--provider):\n")
	for _, p := range harness.Providers() {
		def := ""
		if p.Default {
			def = ", the default"
		}
		fmt.Fprintf(&b, "  %-11s %s (%s clock%s)\n", p.Name, p.Summary, p.Clock, def)
		for _, fl := range p.Flags {
			fmt.Fprintf(&b, "  %-11s   --%s: %s\n", "", fl.Name, fl.Usage)
		}
	}
	return b.String()
}

// AddProviderFlag declares --provider (default sim).
func AddProviderFlag(cmd *cobra.Command, provider *string) {
	var names []string
	for _, p := range harness.Providers() {
		names = append(names, p.Name)
	}
	cmd.Flags().StringVar(provider, "provider", "sim", "where to run: "+strings.Join(names, ", "))
}

// AddProviderFlags declares every provider's own flags, each once; its usage names the
// provider that reads it.
func AddProviderFlags(cmd *cobra.Command) {
	// Every provider's own flags, each declared once; usage names the provider that reads it.
	for _, p := range harness.Providers() {
		for _, fl := range p.Flags {
			usage := fmt.Sprintf("%s (--provider %s)", fl.Usage, p.Name)
			switch {
			case cmd.Flags().Lookup(fl.Name) != nil:
				panic("zdt: two providers declare the flag --" + fl.Name)
			case fl.Bool:
				cmd.Flags().Bool(fl.Name, false, usage)
			case fl.Repeated:
				cmd.Flags().StringArray(fl.Name, nil, usage)
			default:
				cmd.Flags().String(fl.Name, "", usage)
			}
		}
	}
}

// providerFlag returns the provider that declares a flag, or nil for a flag of zdt run itself.
func providerFlag(name string) *harness.ProviderInfo {
	for _, p := range harness.Providers() {
		for _, fl := range p.Flags {
			if fl.Name == name {
				return p
			}
		}
	}
	return nil
}

// ProviderSettings collects the provider flags the user set; a flag of another provider is bad input.
func ProviderSettings(cmd *cobra.Command, p *harness.ProviderInfo, out string, logf func(string, ...any)) (harness.Settings, error) {
	s := harness.Settings{Out: out, Log: logf, Values: map[string][]string{}}
	var err error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		owner := providerFlag(fl.Name)
		if owner == nil || err != nil {
			return
		}
		if owner != p {
			err = fmt.Errorf("--%s applies to --provider %s, not %s", fl.Name, owner.Name, p.Name)
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			s.Values[fl.Name] = sv.GetSlice()
		} else {
			s.Values[fl.Name] = []string{fl.Value.String()}
		}
	})
	return s, err
}

// ReadProfile reads the calibration profile of a --calibration flag; nil when path is "".
func ReadProfile(path string) (*calibration.Calibration, error) {
	if path == "" {
		return nil, nil
	}
	p, err := scenarios.ReadProfile(path)
	if err != nil {
		return nil, fmt.Errorf("--calibration: %w", err)
	}
	return &p.Spec, nil
}

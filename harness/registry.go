package harness

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Clock is the time a provider's runs are measured in.
type Clock struct {
	// Virtual is set for a simulated clock: every run then starts at Epoch, so that the same
	// scenario and seed give the same report byte for byte. A real provider runs on the wall
	// clock, from the moment the run starts.
	Virtual bool
	Epoch   time.Time
}

// Start returns the instant a new run's offsets count from.
func (c Clock) Start() time.Time {
	if c.Virtual {
		return c.Epoch
	}
	return time.Now().UTC()
}

// String names the clock, e.g. for zdt run --help.
func (c Clock) String() string {
	if c.Virtual {
		return "virtual"
	}
	return "wall"
}

// Flag is a command-line setting a provider reads, declared once for zdt run and zdt
// preflight by the CLI from the registry.
type Flag struct {
	// Name is the flag's name without dashes, e.g. "kubeconfig".
	Name string
	// Usage says what the value means.
	Usage string
	// Repeated flags may be given several times; Bool flags take no value.
	Repeated, Bool bool
}

// Settings are what a provider is made with: the run directory, a log, and the values of its
// flags as the user gave them.
type Settings struct {
	// Out is the run directory; a provider may keep files of its own there (a kubeconfig, the
	// etcd snapshot).
	Out string
	// Log receives the provider's bring-up and teardown lines; nil discards them.
	Log func(format string, args ...any)
	// Values holds each flag's values by name ("true" for a Bool flag that was set).
	Values map[string][]string
}

// String returns a flag's last value, or "".
func (s Settings) String(name string) string {
	v := s.Values[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// Strings returns every value of a repeated flag.
func (s Settings) Strings(name string) []string { return s.Values[name] }

// Bool reports whether a Bool flag was set.
func (s Settings) Bool(name string) bool { return s.String(name) == "true" }

// Logf returns Log, or a function that discards.
func (s Settings) Logf() func(format string, args ...any) {
	if s.Log == nil {
		return func(string, ...any) {}
	}
	return s.Log
}

// ProviderInfo is what the registry knows of a provider.
type ProviderInfo struct {
	// Name is what --provider takes: sim, kind, kubeconfig.
	Name string
	// Summary says in a sentence where the provider runs scenarios.
	Summary string
	// Default marks the provider zdt uses when none is named.
	Default bool
	// Clock is the time its runs are measured in.
	Clock Clock
	// Flags are the settings it reads.
	Flags []Flag
	// Injects reports whether the provider can inject faults of a kind.
	Injects func(faults.Kind) bool
	// StartingState says whether the provider sets up spec.cluster.workerPools[].start.
	StartingState bool
	// ManagedStrategies says whether the provider follows spec.upgradeStrategy presets other
	// than ClusterAPI (the simulator models EKS, AKS and GKE node pool upgrades).
	ManagedStrategies bool
	// New makes the provider from its settings; errors name the flag and the fix.
	New func(Settings) (Provider, error)
}

// CanInject reports whether the provider injects faults of kind k.
func (p *ProviderInfo) CanInject(k faults.Kind) bool { return p.Injects != nil && p.Injects(k) }

var (
	registryMu sync.Mutex
	registry   = map[string]*ProviderInfo{}
)

// Register adds a provider to the registry; each provider's package calls it from init, and the
// CLI imports harness/providers, which imports them all.
func Register(info ProviderInfo) *ProviderInfo {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[info.Name]; dup {
		panic("harness: provider registered twice: " + info.Name)
	}
	p := &info
	registry[info.Name] = p
	return p
}

// Providers returns every registered provider, the default first, then by name.
func Providers() []*ProviderInfo {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]*ProviderInfo, 0, len(registry))
	for _, p := range registry {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Default != out[j].Default {
			return out[i].Default
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// LookupProvider returns the registered provider of a name; the error lists the known ones.
func LookupProvider(name string) (*ProviderInfo, error) {
	registryMu.Lock()
	p := registry[name]
	registryMu.Unlock()
	if p == nil {
		var names []string
		for _, q := range Providers() {
			names = append(names, q.Name)
		}
		return nil, fmt.Errorf("unknown provider %q; use one of %s", name, strings.Join(names, ", "))
	}
	return p, nil
}

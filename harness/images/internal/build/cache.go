// Package build is the machinery zdt's image builds run on: cache keys and stamps, static
// binaries from Go modules, Debian root file systems by debootstrap, the Docker CLI, and host
// commands whose output goes to a build log.
package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// RecipeVersion changes whenever a recipe changes in a way its inputs do not show, so that every
// cached image is built again.
const RecipeVersion = "1"

// Key returns the cache key of a build from its inputs: a short hash of the recipe version and
// every name=value pair, independent of the order they are given in.
func Key(inputs map[string]string) string {
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "recipe=%s\n", RecipeVersion)
	for _, name := range names {
		fmt.Fprintf(h, "%q=%q\n", name, inputs[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Stamp records in dir that a build with key finished, so that a later run can reuse dir.
func Stamp(dir, key string) error {
	return os.WriteFile(filepath.Join(dir, ".zdt-key"), []byte(key+"\n"), 0o644)
}

// Stamped reports whether dir holds the finished output of a build with key.
func Stamped(dir, key string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ".zdt-key"))
	return err == nil && strings.TrimSpace(string(b)) == key
}

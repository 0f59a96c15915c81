// Package preflight holds the checks run before an upgrade touches a node, and after it ends
// (postflight). Checks read only a model.Inventory: they know no provider.
package preflight

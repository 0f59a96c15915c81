// Package scenarios defines the zdt scenario file (zdt.dev/v1alpha1), loads it strictly, applies
// Kubernetes' defaults, validates it, and ships the built-in scenario library.
package scenarios

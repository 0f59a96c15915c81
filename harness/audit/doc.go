// Package audit knows which Kubernetes API versions each release deprecated and removed, and finds the objects that use them.
package audit

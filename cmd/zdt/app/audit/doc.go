// Package audit implements `zdt audit`, which finds manifests using Kubernetes APIs a release deprecates or removes.
package audit

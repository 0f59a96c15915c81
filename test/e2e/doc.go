// Package e2e holds zdt's end-to-end specs on real clusters, exported so that other projects' Ginkgo suites can run them.
package e2e

// Package images builds, with no registry, every container image zdt's kind + Cluster API Docker path needs.
package images

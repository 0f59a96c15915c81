// Package components renders Cluster API provider components offline and installs them with webhook certificates of its own.
package components

// Package cleanup implements `zdt cleanup`, which removes the containers zdt's kind runs left behind.
package cleanup

// Package images is `zdt images`: build, with no registry, the images the kind provider needs.
package images

// Command zdt certifies that a Kubernetes upgrade causes zero downtime.
package main

import "github.com/zdt-dev/zdt/cmd/zdt/app"

func main() {
	app.Main()
}

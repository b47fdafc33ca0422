// Command bao builds the OpenBao server/CLI from the Go module proxy.
//
// OpenBao's main module (github.com/openbao/openbao) carries no semver tags usable by
// Go (its v2.x tags lack a /v2 module path), so go.mod pins the pseudo-version of the
// release commit, and requires the api/sdk submodules at the same release: OpenBao's own
// go.mod replaces them with ./api and ./sdk, and a dependent module ignores replaces.
package main

import (
	"os"

	"github.com/openbao/openbao/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}

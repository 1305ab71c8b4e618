// Command golive certifies a partner's payment-API integration for go-live.
package main

import (
	"os"

	"github.com/golive-cert/golive/internal/cli"
)

func main() {
	gs, stop := cli.NewGlobalState()
	code := cli.Execute(gs)
	stop()
	os.Exit(code)
}

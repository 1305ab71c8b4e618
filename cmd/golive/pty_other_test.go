//go:build !linux

package main_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
)

// openPTY is implemented for Linux only; elsewhere the terminal runs are skipped.
func openPTY() (master, slave *os.File) {
	Skip("pseudo-terminals are opened on Linux only")
	return nil, nil
}

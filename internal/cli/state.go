// Package cli holds golive's commands. The process's globals (arguments,
// environment, standard streams, signals) enter in one place, GlobalState,
// so every command can be run end to end from a test.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/golive-cert/golive/exitcode"
)

// GlobalState is everything a command takes from the process.
type GlobalState struct {
	Ctx       context.Context // cancelled on the first SIGINT or SIGTERM
	Args      []string
	Stdout    io.Writer
	Stderr    io.Writer
	LookupEnv func(string) (string, bool)
	// IsTTY says whether Stdout is a terminal (progress and colours).
	IsTTY   bool
	Version string
}

// NewGlobalState reads the real process state. The context is cancelled on
// SIGINT/SIGTERM so a run stops cleanly and still writes its reports.
func NewGlobalState() (*GlobalState, func()) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, restore default handling: a second Ctrl-C
	// kills the process at once if the clean stop takes too long.
	go func() {
		<-ctx.Done()
		stop()
	}()
	return &GlobalState{
		Ctx:       ctx,
		Args:      os.Args[1:],
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
		IsTTY:     isTerminal(os.Stdout),
		Version:   version(),
	}, stop
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// version is set at build time with -ldflags "-X ...cli.buildVersion=v1.2.3",
// else taken from the module build info.
var buildVersion = ""

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// invalid marks an error as the user's input: exit code 2.
func invalid(err error) error { return exitcode.With(exitcode.InvalidInput, err) }

// invalidf is invalid with formatting.
func invalidf(format string, args ...any) error { return invalid(fmt.Errorf(format, args...)) }

// internal marks an error as golive's own fault: exit code 4.
func internal(err error) error { return exitcode.With(exitcode.Internal, err) }

// exit ends a command with code after it has said everything itself.
func exit(code exitcode.Code) error {
	if code == exitcode.Certified {
		return nil
	}
	return &exitcode.Error{Code: code}
}

package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestZZPlanProbe(t *testing.T) {
	args := os.Getenv("PLANARGS")
	if args == "" {
		t.Skip()
	}
	var out, errb bytes.Buffer
	gs := &GlobalState{Ctx: context.Background(), Stdout: &out, Stderr: &errb, LookupEnv: os.LookupEnv, Version: "dev"}
	root := newRootCmd(gs)
	root.AddCommand(newPlanCmd(gs).cmd)
	gs.Args = strings.Fields(args)
	root.SetArgs(gs.Args)
	err := root.ExecuteContext(gs.Ctx)
	fmt.Print(out.String())
	fmt.Println("ERR:", err, errb.String())
}

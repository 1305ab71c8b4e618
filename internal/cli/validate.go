package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v4"

	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

type validateCmd struct {
	cmd   *cobra.Command
	specs []string
}

func newValidateCmd(gs *GlobalState) *validateCmd {
	c := &validateCmd{}
	c.cmd = &cobra.Command{
		Use:   "validate FILE...",
		Short: "Lint OpenAPI documents and suites without sending a request",
		Long: `validate checks each file: an OpenAPI document is loaded and validated; a suite
is decoded strictly and checked against its API (the built-in one it names, or
one given with --spec). Every problem is printed as FILE:LINE: message.
Exit code 0 when all are valid, 2 otherwise.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return c.run(gs, args) },
	}
	c.cmd.Flags().StringArrayVar(&c.specs, "spec", nil, "OpenAPI file that suites refer to by name (its file name without extension)")
	return c
}

func (c *validateCmd) run(gs *GlobalState, files []string) error {
	loader := specs.NewLoader()
	byName := map[string]*specs.API{}
	for _, s := range c.specs {
		api, err := loader.Load(gs.Ctx, s)
		if err != nil {
			return invalid(err)
		}
		byName[api.Name] = api
	}
	var failed []error
	for _, f := range files {
		if err := c.validateFile(gs, loader, byName, f); err != nil {
			failed = append(failed, err)
			continue
		}
		fmt.Fprintf(gs.Stdout, "ok  %s\n", f)
	}
	if len(failed) > 0 {
		return invalid(errors.Join(failed...))
	}
	return nil
}

func (c *validateCmd) validateFile(gs *GlobalState, loader *specs.Loader, byName map[string]*specs.API, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if isOpenAPI(data) {
		api, err := loader.Load(gs.Ctx, path)
		if err != nil {
			return err
		}
		return api.Validate(gs.Ctx)
	}
	s, err := suites.Parse(path, data)
	if err != nil {
		return err
	}
	api := byName[s.API]
	if api == nil {
		if !specs.IsBuiltin(s.API) {
			return fmt.Errorf("%s: api %q is not built in: pass its document with --spec FILE", path, s.API)
		}
		if api, err = loader.Load(gs.Ctx, s.API); err != nil {
			return err
		}
	}
	// Environment references are checked at run time, where they are read;
	// here only their syntax matters.
	return suites.Check(s, api, nil, nil)
}

func isOpenAPI(data []byte) bool {
	var head map[string]any
	if err := yaml.Unmarshal(data, &head); err != nil {
		return false
	}
	_, oa := head["openapi"]
	_, sw := head["swagger"]
	return oa || sw || strings.HasPrefix(strings.TrimSpace(string(data)), `{"openapi"`)
}

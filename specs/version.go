package specs

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v4"
)

// checkVersion reads only the top-level "openapi"/"swagger" key, so an
// unsupported document fails with one clear line instead of a parse error deep
// inside a schema it was never meant to satisfy.
func checkVersion(data []byte) error {
	var head struct {
		OpenAPI string `yaml:"openapi" json:"openapi"`
		Swagger string `yaml:"swagger" json:"swagger"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("not YAML or JSON: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	switch {
	case head.Swagger != "":
		return fmt.Errorf("swagger %s (OpenAPI 2) is not supported: convert it to OpenAPI 3 first", head.Swagger)
	case head.OpenAPI == "":
		return fmt.Errorf(`no "openapi" version field: not an OpenAPI 3 document`)
	case strings.HasPrefix(head.OpenAPI, "3.0"), strings.HasPrefix(head.OpenAPI, "3.1"), strings.HasPrefix(head.OpenAPI, "3.2"):
		return nil
	default:
		return fmt.Errorf("openapi %s is not supported (3.0, 3.1 and 3.2 are)", head.OpenAPI)
	}
}

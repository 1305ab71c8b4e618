package suites_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// The tests run in the package directory, so the repository root is "..".
const (
	schemaPath = "schema.json"
	faqDir     = "../docs/faq"
)

// fakeEnv stands in for the environment: every GOLIVE_* variable is set
// (built-in suites read credentials from GOLIVE_CLIENT_ID and GOLIVE_API_KEY),
// except GOLIVE_TEST_UNSET, which the missing-variable tests use.
func fakeEnv(name string) (string, bool) {
	if strings.HasPrefix(name, "GOLIVE_") && name != "GOLIVE_TEST_UNSET" {
		return "fake-" + strings.ToLower(name), true
	}
	return "", false
}

var specLoader = specs.NewLoader()

func loadSpec(name string) *specs.API {
	GinkgoHelper()
	api, err := specLoader.Load(context.Background(), name)
	Expect(err).NotTo(HaveOccurred())
	return api
}

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// suiteSchema compiles suites/schema.json once.
func suiteSchema() *jsonschema.Schema {
	GinkgoHelper()
	schemaOnce.Do(func() {
		data, err := os.ReadFile(schemaPath)
		if err != nil {
			schemaErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			schemaErr = fmt.Errorf("%s is not JSON: %w", schemaPath, err)
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(schemaPath, doc); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile(schemaPath)
	})
	Expect(schemaErr).NotTo(HaveOccurred())
	return schema
}

// validateYAML converts suite YAML to JSON (through any) and validates it
// against the schema, as an editor using the schema would.
func validateYAML(data []byte) error {
	GinkgoHelper()
	var doc any
	Expect(yaml.Unmarshal(data, &doc)).To(Succeed())
	js, err := json.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	Expect(err).NotTo(HaveOccurred())
	return suiteSchema().Validate(inst)
}

var (
	explicitAnchor = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"\s*>`)
	heading        = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
	slugDrop       = regexp.MustCompile(`[^\p{L}\p{N}\s_-]`)
)

// anchors lists the anchors a Markdown file defines: explicit <a id="...">
// and the GitHub-style slugs of its headings.
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	for _, m := range explicitAnchor.FindAllStringSubmatch(md, -1) {
		out[m[1]] = true
	}
	for _, m := range heading.FindAllStringSubmatch(md, -1) {
		slug := strings.ToLower(slugDrop.ReplaceAllString(m[1], ""))
		out[strings.ReplaceAll(strings.TrimSpace(slug), " ", "-")] = true
	}
	return out
}

// render renders v with every reference written as <ns.name>.
func render(v *suites.Value) string {
	s, err := v.RenderString(func(r tmpl.Ref) (any, bool) { return "<" + r.String() + ">", true })
	Expect(err).NotTo(HaveOccurred())
	return s
}

var _ = Describe("the built-in suites", func() {
	It("include collections and payouts, each for a built-in API", func() {
		Expect(suites.Builtin()).To(ContainElements("collections", "payouts"))
		for _, name := range suites.Builtin() {
			Expect(specs.IsBuiltin(name)).To(BeTrue(), "suite %s has no built-in spec of the same name", name)
		}
	})

	for _, name := range suites.Builtin() {
		Describe(name, func() {
			var s *suites.Suite

			BeforeEach(func() {
				var err error
				s, err = suites.Load(name)
				Expect(err).NotTo(HaveOccurred())
			})

			It("loads as builtin:"+name+" and passes Check against its spec", func() {
				Expect(s.Source).To(Equal("builtin:" + name))
				Expect(s.SHA256).To(HaveLen(64))
				Expect(s.API).To(Equal(name))
				Expect(suites.Check(s, loadSpec(s.API), nil, fakeEnv)).To(Succeed())
			})

			It("passes Check when --var overrides the credentials and no GOLIVE_* is set", func() {
				noEnv := func(string) (string, bool) { return "", false }
				Expect(suites.Check(s, loadSpec(s.API), secretVars(s), noEnv)).To(Succeed())
			})

			It("reports each missing credential variable with its line", func() {
				noEnv := func(string) (string, bool) { return "", false }
				err := suites.Check(s, loadSpec(s.API), nil, noEnv)
				Expect(err).To(HaveOccurred())
				lines := strings.Split(err.Error(), "\n")
				vars := secretVars(s)
				Expect(vars).NotTo(BeEmpty())
				Expect(lines).To(HaveLen(len(vars)))
				for i, v := range vars {
					Expect(lines[i]).To(MatchRegexp(`^builtin:%s:\d+: variable %s: environment variable GOLIVE_[A-Z_]+ is not set$`, name, v))
				}
			})

			It("takes its credentials from GOLIVE_CLIENT_ID and GOLIVE_API_KEY", func() {
				if s.Auth == nil {
					Expect(render(s.Variables.Get("checksumKey"))).To(Equal("${GOLIVE_CHECKSUM_KEY}"))
					Skip(name + " has no token: its only credential is the checksum key")
				}
				Expect(render(s.Variables.Get("clientId"))).To(Equal("${GOLIVE_CLIENT_ID}"))
				Expect(render(s.Variables.Get("apiKey"))).To(Equal("${GOLIVE_API_KEY}"))
				for _, v := range []string{"amount", "currency", "phoneNumber", "failingPhoneNumber"} {
					Expect(s.Variables.Get(v)).NotTo(BeNil(), "variable %s", v)
				}
				Expect(render(s.Variables.Get("failingPhoneNumber"))).To(HaveSuffix("999"))
				Expect(s.Auth).NotTo(BeNil())
				Expect(s.Auth.Operation).To(Equal("generateToken"))
				Expect(s.Auth.Token).To(Equal("token"))
				Expect(s.Auth.Header).To(Equal("Authorization"))
				Expect(s.Auth.Scheme).To(Equal("Bearer"))
				Expect(s.Defaults.Timeout.Duration).To(Equal(10 * time.Second))
				Expect(s.Defaults.LatencyBudget.Duration).To(Equal(2 * time.Second))
			})

			It("has at least 12 items with unique ids and everything a report needs", func() {
				Expect(len(s.Items)).To(BeNumerically(">=", 12))
				faqFile := filepath.Join(faqDir, s.API+".md")
				Expect(s.FAQBase).To(Equal("docs/faq/" + s.API + ".md"))
				md, err := os.ReadFile(faqFile)
				Expect(err).NotTo(HaveOccurred())
				defined := anchors(string(md))
				// Shared sections (callbacks) live in their own FAQ file.
				shared, err := os.ReadFile(filepath.Join(faqDir, "callbacks.md"))
				Expect(err).NotTo(HaveOccurred())
				for a := range anchors(string(shared)) {
					defined["docs/faq/callbacks.md#"+a] = true
				}

				ids := map[string]bool{}
				for _, it := range s.Items {
					Expect(ids).NotTo(HaveKey(it.ID), "duplicate id %s", it.ID)
					ids[it.ID] = true
					Expect(it.ID).To(MatchRegexp(`^[A-Z]{3}-\d{3}$`))
					Expect(strings.TrimSpace(it.Title)).NotTo(BeEmpty(), it.ID)
					Expect(strings.TrimSpace(it.Group)).NotTo(BeEmpty(), it.ID)
					Expect(it.Severity).To(BeElementOf(results.Critical, results.Major, results.Minor), it.ID)
					Expect(len(strings.TrimSpace(it.Remediation))).To(BeNumerically(">=", 40), "%s: remediation too short", it.ID)
					Expect(it.FAQ).NotTo(BeEmpty(), it.ID)
					Expect(defined).To(HaveKey(it.FAQ), "%s: anchor #%s not in %s", it.ID, it.FAQ, faqFile)
					Expect(it.Skip).To(BeEmpty(), "%s: built-in items are never skipped", it.ID)
				}
			})

			It("has FAQ sections for the three failure categories", func() {
				md, err := os.ReadFile(filepath.Join(faqDir, s.API+".md"))
				Expect(err).NotTo(HaveOccurred())
				Expect(anchors(string(md))).To(HaveKey("connection-issues"))
				Expect(anchors(string(md))).To(HaveKey("system-issues"))
				Expect(anchors(string(md))).To(HaveKey("integration-issues"))
			})

			It("covers every operation of its API and every severity", func() {
				used := map[string]bool{}
				sev := map[results.Severity]bool{}
				kinds := map[string]bool{}
				for _, it := range s.Items {
					sev[it.Severity] = true
					kinds[it.Kind()] = true
					for _, st := range it.Steps() {
						if st.Callback == nil {
							used[st.Operation] = true
						}
					}
				}
				Expect(used).To(HaveLen(len(loadSpec(s.API).OperationIDs())))
				Expect(sev).To(HaveLen(3))
				Expect(kinds).To(HaveKey("check"))
				Expect(kinds).To(HaveKey("flow"))
				Expect(kinds).To(HaveKey("latency"))
			})

			It("generates every orderReference it sends, so re-runs never collide", func() {
				if s.Auth == nil {
					Skip(name + " sends events about orders, it creates none")
				}
				sent := 0
				for _, it := range s.Items {
					for _, st := range it.Steps() {
						if b := st.Request.Body; b != nil {
							obj, err := b.Render(func(r tmpl.Ref) (any, bool) { return "<" + r.String() + ">", true })
							Expect(err).NotTo(HaveOccurred())
							if o, ok := obj.(suites.Object); ok {
								for _, kv := range o {
									if kv.Key == "orderReference" {
										sent++
										Expect(kv.Value).To(HavePrefix("<gen.reference"), "%s/%s", it.ID, st.Name)
									}
								}
							}
						}
						if rb := st.Request.RawBody; rb != nil {
							Expect(render(rb)).To(ContainSubstring(`"orderReference": "<gen.reference>"`), it.ID)
						}
						if p := st.Request.Path.Get("orderReference"); p != nil {
							Expect(render(p)).To(Or(HavePrefix("<gen.reference"), HavePrefix("<capture.")), it.ID)
						}
					}
				}
				Expect(sent).To(BeNumerically(">=", 10))
			})

			It("polls briefly: 300ms, backoff 1.5, at most 2s between attempts, within 30s", func() {
				if s.Auth == nil {
					Skip(name + " has nothing to poll")
				}
				polls := 0
				for _, it := range s.Items {
					for _, st := range it.Steps() {
						if p := st.Poll; p != nil {
							polls++
							Expect(p.Interval.Duration).To(Equal(300*time.Millisecond), it.ID)
							Expect(p.Backoff).To(Equal(1.5), it.ID)
							Expect(p.MaxInterval.Duration).To(Equal(2*time.Second), it.ID)
							Expect(p.Deadline.Duration).To(Equal(30*time.Second), it.ID)
						}
					}
				}
				Expect(polls).To(BeNumerically(">=", 2))
			})

			It("validates against suites/schema.json", func() {
				data, err := os.ReadFile(name + ".yaml")
				Expect(err).NotTo(HaveOccurred())
				Expect(validateYAML(data)).To(Succeed())
			})

			It("points editors at the schema", func() {
				data, err := os.ReadFile(name + ".yaml")
				Expect(err).NotTo(HaveOccurred())
				Expect(string(data)).To(HavePrefix("# yaml-language-server: $schema=./schema.json\n"))
			})
		})
	}
})

var _ = Describe("suites/schema.json", func() {
	It("is valid JSON and a draft 2020-12 schema", func() {
		data, err := os.ReadFile(schemaPath)
		Expect(err).NotTo(HaveOccurred())
		var doc map[string]any
		Expect(json.Unmarshal(data, &doc)).To(Succeed())
		Expect(doc).To(HaveKeyWithValue("$schema", "https://json-schema.org/draft/2020-12/schema"))
		Expect(suiteSchema()).NotTo(BeNil())
	})

	It("accepts every complete suite example in docs/suite-format.md, as the loader does", func() {
		md, err := os.ReadFile("../docs/suite-format.md")
		Expect(err).NotTo(HaveOccurred())
		blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(md), -1)
		complete := 0
		for i, b := range blocks {
			text := b[1]
			if !regexp.MustCompile(`(?m)^api:`).MatchString(text) || !regexp.MustCompile(`(?m)^items:`).MatchString(text) {
				continue
			}
			complete++
			Expect(validateYAML([]byte(text))).To(Succeed(), "example %d:\n%s", i+1, text)
			s, err := suites.Parse(fmt.Sprintf("docs/suite-format.md#example%d", i+1), []byte(text))
			Expect(err).NotTo(HaveOccurred())
			Expect(suites.Check(s, loadSpec(s.API), nil, fakeEnv)).To(Succeed())
		}
		Expect(complete).To(BeNumerically(">=", 2))
	})
})

// secretVars are the variables a suite reads from the environment, in order.
func secretVars(s *suites.Suite) []string {
	var out []string
	for _, f := range s.Variables {
		if len(tmpl.EnvRefs(render(f.Value))) > 0 {
			out = append(out, f.Key)
		}
	}
	return out
}

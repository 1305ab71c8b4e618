package derive_test

import (
	"encoding/json"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
)

var _ = Describe("boundaries of a pattern with length limits", func() {
	items := func() map[string]string {
		GinkgoHelper()
		api := loadAPI("testdata/detect/pattern-lengths.yaml")
		planned, err := derive.Plan(api, derive.Options{Seed: 1, Rules: []string{derive.RuleBoundary}})
		Expect(err).NotTo(HaveOccurred())
		values := map[string]string{} // check -> the value of its field
		for _, it := range planned {
			body, err := it.Steps()[0].Request.Body.Render(resolve)
			Expect(err).NotTo(HaveOccurred())
			data, err := json.Marshal(body)
			Expect(err).NotTo(HaveOccurred())
			var fields map[string]any
			Expect(json.Unmarshal(data, &fields)).To(Succeed())
			for _, f := range []string{"code", "name", "tag"} {
				if m := regexp.MustCompile(`^derived\.createCode\.boundary-` + f + `-(.+)$`).FindStringSubmatch(it.ID); m != nil {
					values[f+" "+m[1]] = fields[f].(string)
				}
			}
		}
		return values
	}

	It("gives an unbounded pattern its maxLength and minLength, in values the pattern matches", func() {
		v := items()
		Expect(v).To(HaveKey("code max-length"))
		Expect(v["code max-length"]).To(MatchRegexp(`^[0-9]{35}$`))
		Expect(v).To(HaveKey("code min-length"))
		Expect(v["code min-length"]).To(MatchRegexp(`^[0-9]{4}$`))
		Expect(v).NotTo(HaveKey("code longest"), "an unbounded pattern has no longest value")
	})

	It("caps a pattern's longest value at a tighter maxLength", func() {
		v := items()
		Expect(v["name max-length"]).To(MatchRegexp(`^[a-z]{20}$`))
		Expect(v["name shortest"]).To(MatchRegexp(`^[a-z]{3}$`))
		Expect(v).NotTo(HaveKey("name longest"), "40 characters break maxLength: not a valid edge")
	})

	It("keeps a pattern's own edges when no length limit is tighter", func() {
		v := items()
		Expect(v["tag longest"]).To(MatchRegexp(`^T-[0-9]{8}$`))
		Expect(v["tag shortest"]).To(MatchRegexp(`^T-[0-9]{2}$`))
		Expect(v).NotTo(HaveKey("tag max-length"))
	})
})

package server_test

import (
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("schedule limits", func() {
	for _, backend := range backends() {
		It("refuse a schedule firing more often than every 15m, or for an unregistered environment, on API and page alike, on "+backend, func() {
			h := startHub(backend)
			p := h.partner("Alpha Pay") // staging only
			create := func(expr, env string) apiResp {
				return h.api(h.adminTok, "POST", "/partners/"+p.ID+"/schedules", map[string]any{"cron": expr, "api": "collections", "environment": env})
			}
			for _, fast := range []string{"* * * * * *", "@every 1s", "@every 14m", "*/5 * * * *", "0,10 6 * * *"} {
				r := create(fast, "staging")
				Expect(r.status).To(Equal(http.StatusBadRequest), fast)
				Expect(string(r.body)).To(ContainSubstring("15m"), fast)
			}
			r := create("0 6 * * *", "production")
			Expect(r.status).To(Equal(http.StatusBadRequest), string(r.body))
			Expect(string(r.body)).To(ContainSubstring(`environment \"production\" is not registered`))

			web := h.signIn("admin@bau.example", adminPassword)
			resp := web.post("/partners/"+p.ID+"/schedules", url.Values{"cron": {"@every 1s"}, "api": {"collections"}, "environment": {"staging"}})
			Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
			resp = web.post("/partners/"+p.ID+"/schedules", url.Values{"cron": {"0 6 * * *"}, "api": {"collections"}, "environment": {"production"}})
			Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))

			for _, ok := range []string{"@every 15m", "*/15 * * * *", "0 6 * * *", "@daily"} {
				r := create(ok, "staging")
				Expect(r.status).To(Equal(http.StatusCreated), ok+": "+string(r.body))
			}
			list := h.api(h.adminTok, "GET", "/partners/"+p.ID+"/schedules", nil)
			Expect(strings.Count(string(list.body), `"cron"`)).To(Equal(4), "only the four allowed ones were stored")
		})
	}
})

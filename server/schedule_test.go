package server_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
)

var _ = Describe("schedules", func() {
	for _, backend := range backends() {
		It("take the descriptors the docs offer (@daily, @every 1h), at times every replica computes alike, on "+backend, func() {
			h := startHub(backend)
			p := h.partner("Cron Words Co", "collections")
			create := func(expr string) apiResp {
				GinkgoHelper()
				return h.api(h.adminTok, "POST", "/partners/"+p.ID+"/schedules", map[string]any{"cron": expr, "api": "collections", "environment": "staging"})
			}
			before := time.Now().UTC()

			r := create("@daily")
			Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
			var daily server.ScheduleJSON
			r.json(&daily)
			Expect(daily.Cron).To(Equal("@daily"))
			Expect(daily.NextRunAt).NotTo(BeNil())
			midnight := before.Truncate(24 * time.Hour).Add(24 * time.Hour)
			Expect(daily.NextRunAt.UTC()).To(BeTemporally("==", midnight), "@daily fires at midnight UTC")

			// @every is counted from the same instants on every replica (not
			// from when each one started), so a fire is one tick for all.
			r = create("@every 1h")
			Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
			var hourly server.ScheduleJSON
			r.json(&hourly)
			Expect(hourly.NextRunAt).NotTo(BeNil())
			next := hourly.NextRunAt.UTC()
			Expect(next).To(Equal(next.Truncate(time.Hour)), "@every 1h fires on the hour")
			Expect(next).To(BeTemporally(">", before))
			Expect(next).To(BeTemporally("<=", before.Truncate(time.Hour).Add(2*time.Hour)))

			var listed []server.ScheduleJSON
			h.api(h.adminTok, "GET", "/partners/"+p.ID+"/schedules", nil).json(&listed)
			Expect(listed).To(HaveLen(2))

			for _, bad := range []string{"@fortnightly", "@every -1h", "@every soon", "61 * * * *"} {
				r = create(bad)
				Expect(r.status).To(Equal(http.StatusBadRequest), bad)
				var e server.APIError
				r.json(&e)
				Expect(e.Error).To(HavePrefix("cron: "), bad)
				Expect(e.Error).To(ContainSubstring("@daily"), "the answer says what is accepted")
				Expect(e.Error).NotTo(ContainSubstring("\n"))
			}
		})
	}
})

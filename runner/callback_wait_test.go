package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

const notifyKey = "notify-checksum-key"

// notifySuite creates an order and waits for its callback, with or without
// a signature check. The deadline only bounds the case where no genuine
// callback ever comes; every other case ends on an event.
func notifySuite(signed bool) *suites.Suite {
	GinkgoHelper()
	sig := ""
	if signed {
		sig = "\n          signature:\n            key: " + notifyKey + "\n            field: checksum"
	}
	text := `name: notify
api: notify
items:
  - id: N-1
    title: the outcome is called back
    severity: critical
    flow:
      - name: create
        operation: createOrder
        request:
          body:
            callbackUrl: "{{ gen.callbackUrl }}"
        expect:
          status: 202
      - name: outcome
        callback:
          deadline: 3s` + sig + "\n"
	s, err := suites.Parse("notify-suite.yaml", []byte(text))
	Expect(err).NotTo(HaveOccurred())
	return s
}

// notifyPartner answers every order at once and then calls back once per
// entry of signatures: "good" signs with the right key, "bad" with another.
func notifyPartner(signatures ...string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ CallbackURL string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"o-1"}`))
		go func() {
			for _, which := range signatures {
				payload := []byte(`{"orderId":"o-1","status":"SUCCESS"}`)
				key := notifyKey
				if which == "bad" {
					key = "not-the-key"
				}
				sum, _ := callbacks.Sign(payload, key, "checksum")
				signed := strings.TrimSuffix(string(payload), "}") + `,"checksum":"` + sum + `"}`
				resp, err := http.Post(body.CallbackURL, "application/json", bytes.NewReader([]byte(signed)))
				if err == nil {
					resp.Body.Close()
				}
			}
		}()
	}))
	DeferCleanup(srv.Close)
	return srv.URL
}

func runNotify(target string, signed bool) results.Item {
	GinkgoHelper()
	api, err := specs.NewLoader().Load(context.Background(), "testdata/notify.yaml")
	Expect(err).NotTo(HaveOccurred())
	s := notifySuite(signed)
	Expect(suites.Check(s, api, nil, nil)).To(Succeed())
	out := run(target, []runner.Job{{API: api, Suite: s}}, runner.WithEnv(env(nil)))
	Expect(out.Items).To(HaveLen(1))
	return out.Items[0]
}

var _ = Describe("waiting for a callback", func() {
	It("keeps waiting after a forged callback and takes the first genuine one", func() {
		it := runNotify(notifyPartner("bad", "good"), true)
		Expect(it.Status).To(Equal(results.Pass), it.Message)
		Expect(it.Notes).To(ContainElement(ContainSubstring("callback 1 refused: the callback signature does not verify")))
	})

	It("fails on the signature when only forged callbacks came", func() {
		it := runNotify(notifyPartner("bad"), true)
		Expect(it.Status).To(Equal(results.Fail))
		Expect(it.Category).To(Equal(results.Integration))
		Expect(it.Message).To(ContainSubstring("signature does not verify"))
	})

	It("takes any callback when the checklist checks no signature, and says so", func() {
		it := runNotify(notifyPartner("bad"), false)
		Expect(it.Status).To(Equal(results.Pass), it.Message)
		Expect(it.Notes).To(ContainElement(ContainSubstring("callbacks were not authenticated")))
	})
})

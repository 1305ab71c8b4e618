package suites_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/suites"
)

var _ = Describe("Object.MarshalJSON", func() {
	It("writes each key and value as json.Marshal does, in order", func() {
		o := suites.Object{
			{Key: "a<b>&\u2028", Value: "x<y>&\u2029\"\\\n"},
			{Key: "n", Value: int64(3)},
			{Key: "f", Value: 1.5e300},
			{Key: "z", Value: nil},
			{Key: "o", Value: suites.Object{{Key: "in", Value: []any{true, "é", suites.Object{}, 0.1}}}},
			{Key: "m", Value: map[string]any{"b": 1, "a": "<"}},
		}
		want := "{"
		for i, kv := range o {
			if i > 0 {
				want += ","
			}
			k, err := json.Marshal(kv.Key)
			Expect(err).NotTo(HaveOccurred())
			v, err := json.Marshal(kv.Value)
			Expect(err).NotTo(HaveOccurred())
			want += string(k) + ":" + string(v)
		}
		want += "}"
		got, err := o.MarshalJSON()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(want))
		viaMarshal, err := json.Marshal(o)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(viaMarshal)).To(Equal(want))
		empty, err := suites.Object{}.MarshalJSON()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(empty)).To(Equal("{}"))
	})

	It("fails on a value JSON cannot hold", func() {
		_, err := suites.Object{{Key: "c", Value: make(chan int)}}.MarshalJSON()
		Expect(err).To(HaveOccurred())
	})
})

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

	It("AppendJSON writes what json.Marshal writes, for every kind of rendered value", func() {
		strs := []string{"", "plain", "a<b", "x>y", "&", "q\"", "b\\s", "nl\n", "tab\t", "\x01", "\x7f", "é", "\u2028", "\u2029",
			"\xff\xfe", "emoji 😀", "mixed <é> & \"", "TZS 1,000.00"}
		var values []any
		for _, s := range strs {
			values = append(values, s)
		}
		values = append(values, nil, true, false, int64(-42), int64(9007199254740993), 7, 0.1, 1e21, 1e-7, -0.0, 2500.0,
			json.Number("12.50"), json.RawMessage(`{"a" : 1}`), map[string]any{"b": 1, "a": "<"}, []any{}, []any(nil),
			[]string{"x", "<"}, suites.Object{}, suites.Object(nil))
		nested := []any{}
		for _, v := range values {
			nested = append(nested, v)
		}
		obj := suites.Object{}
		for i, v := range values {
			obj = append(obj, suites.KV{Key: strs[i%len(strs)], Value: v})
		}
		values = append(values, nested, obj, []any{obj, nested, suites.Object{{Key: "deep", Value: []any{obj}}}})
		for _, v := range values {
			want, err := json.Marshal(v)
			Expect(err).NotTo(HaveOccurred())
			got, err := suites.AppendJSON([]byte("prefix:"), v)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(got)).To(Equal("prefix:"+string(want)), "%#v", v)
		}
		_, err := suites.AppendJSON(nil, []any{"ok", make(chan int)})
		Expect(err).To(HaveOccurred())
	})

	It("fails on a value JSON cannot hold", func() {
		_, err := suites.Object{{Key: "c", Value: make(chan int)}}.MarshalJSON()
		Expect(err).To(HaveOccurred())
	})
})

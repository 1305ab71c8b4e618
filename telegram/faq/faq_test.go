package faq_test

import (
	"context"
	"os"
	"testing"

	"github.com/golive-cert/golive/telegram/faq"
)

func TestSearchFindsTheRightAnswer(t *testing.T) {
	idx, err := faq.New(os.DirFS("../../docs/faq"), "https://hub.example/faq")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		apis  []string
		query string
		want  string // anchor link suffix of the first answer
	}{
		{[]string{"collections"}, "connection refused firewall telnet", "collections.md#connection-issues"},
		{[]string{"payouts"}, "connection refused firewall telnet", "payouts.md#connection-issues"},
		{[]string{"collections"}, "duplicate orderReference", "collections.md#duplicate-reference"},
	}
	for _, c := range cases {
		got, err := idx.Search(context.Background(), c.apis, c.query, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || !hasSuffix(got[0].Link, c.want) {
			t.Errorf("%v %q: got %+v, want first %s", c.apis, c.query, got, c.want)
		}
		for _, a := range got {
			if a.API != c.apis[0] && a.API != "callbacks" && a.API != "derived" {
				t.Errorf("%q: answer from another API: %+v", c.query, a)
			}
		}
	}
	if got, _ := idx.Search(context.Background(), nil, "zzzqqq", 3); len(got) != 0 {
		t.Errorf("nonsense matched %+v", got)
	}
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

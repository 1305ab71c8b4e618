package telegram

import (
	"strings"
	"testing"
)

func TestSplitKeepsTelegramsLimitAndLineEnds(t *testing.T) {
	line := strings.Repeat("x", 99) + "\n"
	text := strings.Repeat(line, 100) // 10,000 characters
	parts := split(text, maxText)
	if len(parts) != 3 {
		t.Fatalf("got %d parts, want 3", len(parts))
	}
	for i, p := range parts {
		if units(p) > maxText {
			t.Errorf("part %d has %d units", i, units(p))
		}
		if len(p)%100 != 99 { // whole lines only, the last newline dropped
			t.Errorf("part %d not cut at a line end", i)
		}
	}
	if got := strings.Join(parts, "\n"); got != strings.TrimRight(text, "\n") {
		t.Error("parts do not add up to the text")
	}
}

func TestSplitCountsUTF16LikeTelegram(t *testing.T) {
	// An emoji outside the BMP is two UTF-16 units: 2,049 of them are 4,098.
	text := strings.Repeat("😀", 2049)
	parts := split(text, maxText)
	if len(parts) != 2 || units(parts[0]) != 4096 || units(parts[1]) != 2 {
		t.Fatalf("got parts of %d and %d units", units(parts[0]), units(parts[len(parts)-1]))
	}
}

func TestSplitShortTextIsOnePart(t *testing.T) {
	if got := split("hi", maxText); len(got) != 1 || got[0] != "hi" {
		t.Fatalf("got %q", got)
	}
}

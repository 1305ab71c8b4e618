package match

import (
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"

	// Named: the package has a Describe of its own.
	ginkgo "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// decimal.cmp compares without arithmetic; big.Rat is the reference. The
// numbers are written every way a body or a suite writes them: signs,
// leading and trailing zeros, no integer part, exponents. The seed is
// fixed, so a failure repeats.
var _ = ginkgo.Describe("exact decimals", func() {
	ginkgo.It("order and equal as big.Rat says, however they are written", func() {
		rng := rand.New(rand.NewPCG(17, 2026))
		write := func() string {
			var b strings.Builder
			switch rng.IntN(3) {
			case 0:
				b.WriteByte('-')
			case 1:
				if rng.IntN(4) == 0 {
					b.WriteByte('+')
				}
			}
			for range rng.IntN(3) {
				b.WriteByte('0')
			}
			for range rng.IntN(4) {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
			if rng.IntN(2) == 0 {
				b.WriteByte('.')
				for range 1 + rng.IntN(4) {
					b.WriteByte(byte('0' + rng.IntN(10)))
				}
			}
			if strings.Trim(b.String(), "+-") == "" {
				b.WriteByte('0')
			}
			if rng.IntN(4) == 0 {
				b.WriteString("e" + strconv.Itoa(rng.IntN(9)-4))
			}
			return b.String()
		}
		for range 20000 {
			x, y := write(), write()
			dx, okX := newDecimal(x)
			dy, okY := newDecimal(y)
			rx, okRX := new(big.Rat).SetString(x)
			ry, okRY := new(big.Rat).SetString(y)
			Expect([]bool{okX, okY, okRX, okRY}).To(HaveEach(BeTrue()), "%q and %q are read", x, y)
			Expect(dx.cmp(dy)).To(Equal(rx.Cmp(ry)), "%s against %s", x, y)
			Expect(dx.same(dy)).To(Equal(rx.Cmp(ry) == 0), "%s and %s", x, y)
		}
	})
})

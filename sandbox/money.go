package sandbox

import (
	"fmt"
	"strconv"
	"strings"
)

// cents is an amount in minor units. Money is never a float: amounts arrive
// and leave as decimal strings and all arithmetic is on integers.
type cents int64

// maxAmount is the largest amount the Amount schema can express
// (^[0-9]{1,12}(\.[0-9]{1,2})?$), i.e. 999999999999.99.
const maxAmount cents = 999_999_999_999_99

// Fee policy of the sandbox, the same for collections and payouts:
// 1% of the amount, rounded half up to the cent, but at least 100.00 TZS
// (a flat minimum, as mobile-money operators charge on small amounts).
const (
	feeBasisPoints = 100    // 1%
	minFee         = 100_00 // 100.00
	basisPointsAll = 100_00 // 100%
)

// parseAmount reads a decimal string as the Amount schema allows it.
func parseAmount(s string) (cents, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if len(whole) < 1 || len(whole) > 12 || !digits(whole) ||
		(hasDot && (len(frac) < 1 || len(frac) > 2 || !digits(frac))) {
		return 0, fmt.Errorf(`amount %q is not a decimal like "1500.00" (at most 12 digits, 2 decimals)`, s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	return cents(w*100 + f), nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// String formats as the API does: always two decimals, e.g. "1500.00".
func (c cents) String() string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// feeFor applies the sandbox's fee policy (see minFee). Amounts are at most
// maxAmount, so amount*feeBasisPoints cannot overflow int64.
func feeFor(amount cents) cents {
	fee := (amount*feeBasisPoints + basisPointsAll/2) / basisPointsAll
	return max(fee, minFee)
}

// orderFee is the fee for an amount as sent; "0.00" when it is not a
// decimal amount, which only the no-validation fault lets through.
func orderFee(amount string) string {
	c, err := parseAmount(amount)
	if err != nil {
		return "0.00"
	}
	return feeFor(c).String()
}

package logredact

import "math/bits"

// Eight bytes at a time ("SIMD within a register"), for the runs that tend to be long: digit runs
// (timestamps, order numbers) and the hex words that start with a digit (digests, trace IDs). A
// byte-at-a-time loop over such a run pays a branch per byte and usually a mispredicted one at
// its end; classifying eight bytes with a few arithmetic operations and finding the first byte
// outside the class with TrailingZeros64 pays one well-predicted branch per eight bytes. For short
// runs (most words, spaces and punctuation) the byte loop is faster, measured on the benign
// corpus: its branches predict well, and the next token need not wait for the classification.
//
// Each classifier returns a mask with the high bit (0x80) of every byte in the class set and all
// other bits clear. The arithmetic works on the low seven bits of each byte (x & 0x7f...), where
// adding a constant below 0x80 cannot carry into the next byte; bytes with their high bit set are
// never in a class and are masked out at the end.
const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
	swarLow7 = 0x7f7f7f7f7f7f7f7f
)

// load8 returns s[i:i+8] as a little-endian word: s[i] is the lowest byte. The compiler turns the
// eight loads into one.
func load8[T text](s T, i int) uint64 {
	s8 := s[i : i+8]
	return uint64(s8[0]) | uint64(s8[1])<<8 | uint64(s8[2])<<16 | uint64(s8[3])<<24 |
		uint64(s8[4])<<32 | uint64(s8[5])<<40 | uint64(s8[6])<<48 | uint64(s8[7])<<56
}

// inRange returns the high bit of each byte of x7 (bytes below 0x80) that lies in [lo, hi]:
// x7+(0x80-lo) has its high bit set exactly when x7 >= lo, x7+(0x7f-hi) exactly when x7 > hi.
func inRange(x7 uint64, lo, hi byte) uint64 {
	return (x7 + swarOnes*uint64(0x80-lo)) &^ (x7 + swarOnes*uint64(0x7f-hi))
}

// digitBytes marks the bytes of x that are ASCII digits.
func digitBytes(x uint64) uint64 {
	return inRange(x&swarLow7, '0', '9') &^ x & swarHigh
}

// nonWordBytes marks the bytes of x outside the scanner's word class [A-Za-z0-9_] (clWord).
// Setting bit 0x20 folds A-Z onto a-z and moves no other byte into a-z ('@' becomes '`', '[' to
// '_' become '{' to 0x7f). An '_' is a byte whose XOR with '_' is zero: adding 0x7f to it is the
// only way to leave the high bit clear. The ranges are written out rather than through inRange
// so that the compiler inlines the function.
func nonWordBytes(x uint64) uint64 {
	x7 := x & swarLow7
	lc := x7 | swarOnes*0x20
	word := (lc+swarOnes*(0x80-'a'))&^(lc+swarOnes*(0x7f-'z')) |
		(x7+swarOnes*(0x80-'0'))&^(x7+swarOnes*(0x7f-'9')) |
		^((x7 ^ swarOnes*'_') + swarLow7)
	return (^word | x) & swarHigh
}

// firstMarked returns the index of the first byte marked in m (a nonzero classifier mask).
func firstMarked(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

// wordRunEnd returns the end of the run of word bytes ([A-Za-z0-9_]) starting at s[j].
func wordRunEnd[T text](s T, j int) int {
	for j+8 <= len(s) {
		if m := nonWordBytes(load8(s, j)); m != 0 {
			return j + firstMarked(m)
		}
		j += 8
	}
	for j < len(s) && class[s[j]]&clWord != 0 {
		j++
	}
	return j
}

// digitRunEnd returns the end of the run of ASCII digits starting at s[j].
func digitRunEnd[T text](s T, j int) int {
	for j+8 <= len(s) {
		if m := ^digitBytes(load8(s, j)) & swarHigh; m != 0 {
			return j + firstMarked(m)
		}
		j += 8
	}
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j
}

// plainRunEnd returns the end of the run of bytes from s[j] that are neither word bytes nor
// triggers: spaces and punctuation, which the scanner passes over. Such runs are short (mostly
// one space or `","`): a byte at a time beats eight at a time here.
func plainRunEnd[T text](s T, j int) int {
	// The first two bytes are tested apart from the loop: most runs are empty (a word then
	// '=' or ':') or one byte long (a space), and each inlined copy of these tests gets branch
	// history of its own.
	if j >= len(s) || class[s[j]]&(clWord|clTrigger) != 0 {
		return j
	}
	if j++; j >= len(s) || class[s[j]]&(clWord|clTrigger) != 0 {
		return j
	}
	for j++; j < len(s) && class[s[j]]&(clWord|clTrigger) == 0; j++ {
	}
	return j
}

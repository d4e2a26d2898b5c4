package linkage

// JaroWinkler returns the Jaro–Winkler similarity of a and b in [0, 1]
// (Winkler 1990, "String comparator metrics and enhanced decision rules in
// the Fellegi–Sunter model of record linkage"), with the usual prefix scale
// 0.1 over at most 4 characters, applied when the Jaro similarity exceeds
// 0.7. It works on bytes: callers pass folded strings, which are ASCII for
// Latin-script names. Two empty strings are identical.
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	// Both match flags fit on the stack for names; longer text allocates.
	var fa, fb [64]bool
	var ma, mb []bool
	if len(b) <= 64 {
		ma, mb = fa[:len(a)], fb[:len(b)]
	} else {
		ma, mb = make([]bool, len(a)), make([]bool, len(b))
	}
	window := len(b)/2 - 1
	if window < 0 {
		window = 0
	}
	matches := 0
	for i := 0; i < len(a); i++ {
		lo, hi := i-window, i+window+1
		if lo < 0 {
			lo = 0
		}
		if hi > len(b) {
			hi = len(b)
		}
		c := a[i]
		for j := lo; j < hi; j++ {
			if !mb[j] && b[j] == c {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans, j := 0, 0
	for i := 0; i < len(a); i++ {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if a[i] != b[j] {
			trans++
		}
		j++
	}
	m := float64(matches)
	jaro := (m/float64(len(a)) + m/float64(len(b)) + (m-float64(trans/2))/m) / 3
	if jaro <= 0.7 {
		return jaro
	}
	prefix := 0
	for prefix < 4 && prefix < len(a) && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

// editDistance returns the optimal-string-alignment distance of a and b
// (Levenshtein with adjacent transpositions, Damerau 1964), or max+1 once
// it is known to exceed max. Document numbers use it: one typo or one
// swapped pair of digits is distance 1.
func editDistance(a, b string, max int) int {
	if a == b {
		return 0
	}
	la, lb := len(a), len(b)
	if d := la - lb; d > max || -d > max {
		return max + 1
	}
	if la > 62 || lb > 62 {
		return max + 1
	}
	var rows [3][64]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= lb; j++ {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := prev[j-1] + cost
			if d := prev[j] + 1; d < v {
				v = d
			}
			if d := cur[j-1] + 1; d < v {
				v = d
			}
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				if d := prev2[j-2] + 1; d < v {
					v = d
				}
			}
			cur[j] = v
			if v < best {
				best = v
			}
		}
		if best > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[lb] > max {
		return max + 1
	}
	return prev[lb]
}
